// tandem_gpu_parity DIR: runs Tandem's GPU kernels on fixed inputs and writes the inputs
// and outputs to DIR as .npy files, with DIR/cases.json naming them, for
// scripts/torch_parity.py to compare against PyTorch on the same GPU (torch.matmul with
// TF32 off, torch.relu, torch._int_mm). Part of scripts/gpu-check.sh. Without a GPU it
// says why and exits with status 2, writing nothing.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tandem/cpu/random.h>
#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/ops.h>
#include <tandem/tensor.h>

namespace {

namespace fs = std::filesystem;
using tandem::Device;
using tandem::Options;
using tandem::Tensor;

template <typename T>
const char* npy_descr();
template <>
const char* npy_descr<float>() {
  return "<f4";
}
template <>
const char* npy_descr<std::int8_t>() {
  return "|i1";
}
template <>
const char* npy_descr<std::int32_t>() {
  return "<i4";
}

// NumPy's .npy format, version 1.0: magic, header length, a dict padded to 64 bytes.
template <typename T>
void write_npy(const fs::path& path, const std::vector<T>& values,
               const std::vector<std::int64_t>& shape) {
  std::string dims;
  for (const std::int64_t d : shape) dims += std::to_string(d) + ", ";
  std::string header = std::string("{'descr': '") + npy_descr<T>() +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(length_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

struct Writer {
  fs::path dir;
  nlohmann::json cases = nlohmann::json::array();

  void tensor(const std::string& name, const Tensor& t) {
    const auto dims = t.shape().dims();
    write_npy(dir / (name + ".npy"), t.to_vector<float>(),
              std::vector<std::int64_t>(dims.begin(), dims.end()));
  }
};

// f32 matmul through the dispatcher on the GPU, per implementation; the operands are
// normal values (a TF32 product would show), odd shapes.
void matmul_cases(Writer& w) {
  const std::int64_t m = 1000, k = 777, n = 555;
  const Tensor a = Tensor::randn({m, k}, 1).to(Device::cuda(0));
  const Tensor b = Tensor::randn({k, n}, 2).to(Device::cuda(0));
  const Tensor bias = Tensor::randn({n}, 3).to(Device::cuda(0));
  w.tensor("matmul_a", a);
  w.tensor("matmul_b", b);
  w.tensor("linear_bias", bias);
  for (const char* impl : {"cuda.tiled_basic", "cuda.tiled", "cuda.cublas"}) {
    const std::string out = std::string("matmul_") + impl;
    w.tensor(out, tandem::matmul(a, b, Options::using_implementation(impl)));
    w.cases.push_back({{"op", "matmul"},
                       {"implementation", impl},
                       {"a", "matmul_a"},
                       {"b", "matmul_b"},
                       {"out", out},
                       {"k", k}});
    const std::string lin = std::string("linear_") + impl;
    w.tensor(lin, tandem::linear(a, b, bias, tandem::Activation::relu,
                                 Options::using_implementation(impl)));
    w.cases.push_back({{"op", "linear_relu"},
                       {"implementation", impl},
                       {"a", "matmul_a"},
                       {"b", "matmul_b"},
                       {"bias", "linear_bias"},
                       {"out", lin},
                       {"k", k}});
  }
}

void relu_case(Writer& w) {
  const std::int64_t n = (std::int64_t{1} << 24) + 3;  // float4 body and a scalar tail
  const Tensor x = Tensor::randn({n}, 4).to(Device::cuda(0));
  w.tensor("relu_x", x);
  w.tensor("relu_cuda", tandem::relu(x));
  w.cases.push_back(
      {{"op", "relu"}, {"implementation", "cuda"}, {"x", "relu_x"}, {"out", "relu_cuda"}});
}

// int8 x int8 -> int32 with dp4a, for torch._int_mm (m > 16; k, n multiples of 8).
void int8_case(Writer& w) {
  const std::int64_t m = 512, k = 1024, n = 256;
  const auto random_int8 = [](std::int64_t count, std::uint64_t seed) {
    std::vector<float> f(static_cast<std::size_t>(count));
    tandem::cpu::fill_uniform_int(f.data(), count, seed, -128, 127);
    return std::vector<std::int8_t>(f.begin(), f.end());
  };
  const std::vector<std::int8_t> a = random_int8(m * k, 5), b = random_int8(k * n, 6);
  const tandem::cuda::Stream stream(0);
  tandem::cuda::DeviceBuffer da(0, a.size()), db(0, b.size()), dc(0, sizeof(std::int32_t) * m * n);
  tandem::cuda::copy_host_to_device(0, da.get(), a.data(), a.size());
  tandem::cuda::copy_host_to_device(0, db.get(), b.data(), b.size());
  tandem::cuda::gemm_s8s8s32(m, n, k, da.as<std::int8_t>(), k, db.as<std::int8_t>(), n,
                             dc.as<std::int32_t>(), n, stream);
  stream.synchronize();
  std::vector<std::int32_t> c(static_cast<std::size_t>(m * n));
  tandem::cuda::copy_device_to_host(0, c.data(), dc.get(), c.size() * sizeof(std::int32_t));
  write_npy(w.dir / "int8_a.npy", a, {m, k});
  write_npy(w.dir / "int8_b.npy", b, {k, n});
  write_npy(w.dir / "int8_cuda.dp4a.npy", c, {m, n});
  w.cases.push_back({{"op", "int_mm"},
                     {"implementation", "cuda.dp4a"},
                     {"a", "int8_a"},
                     {"b", "int8_b"},
                     {"out", "int8_cuda.dp4a"}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tandem_gpu_parity DIR\n");
    return 64;
  }
  if (tandem::cuda::device_count() == 0) {
    std::fprintf(stderr, "tandem_gpu_parity: no GPU: %s\n",
                 tandem::cuda::unavailable_reason().c_str());
    return 2;
  }
  try {
    Writer w{argv[1]};
    fs::create_directories(w.dir);
    matmul_cases(w);
    relu_case(w);
    int8_case(w);
    std::ofstream(w.dir / "cases.json") << w.cases.dump(2) << '\n';
    std::printf("tandem_gpu_parity: %zu cases in %s\n", w.cases.size(), argv[1]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem_gpu_parity: %s\n", e.what());
    return 1;
  }
}
