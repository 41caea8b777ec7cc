// Runs a fuzz harness once on each file given (or each file in each folder given): the
// corpus and the found inputs replayed as regression tests in the normal build, with
// no libFuzzer needed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const auto usage = [&](std::FILE* to) {
    std::fprintf(to,
                 "usage: %s PATH...\n"
                 "Runs this fuzz harness once on each file given, and on each file in each "
                 "folder given.\n",
                 argv[0]);
  };
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    }
    if (arg.starts_with("-")) {
      std::fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
      usage(stderr);
      return 2;
    }
    if (!fs::exists(arg)) {
      std::fprintf(stderr, "%s: no such file or folder: %s\n", argv[0], argv[i]);
      return 1;
    }
  }
  int replayed = 0;
  const auto replay = [&](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++replayed;
  };
  for (int i = 1; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& entry : fs::directory_iterator(p)) {
        if (entry.is_regular_file()) replay(entry.path());
      }
    } else {
      replay(p);
    }
  }
  std::printf("replayed %d inputs\n", replayed);
  return replayed > 0 ? 0 : 1;
}
