// A small program on Tandem's public API: a matmul, a relu and a quantized matmul on
// whatever device the dispatcher picks (a GPU when there is one and it pays), with
// the dispatch log on so that every decision is printed, and each result checked
// against the reference implementation.
#include <cmath>
#include <cstdio>

#include <tandem/tandem.h>

int main() {
  tandem::set_verbose(true);  // as TANDEM_VERBOSE=1: one CSV line per call on stderr
  const tandem::Tensor a = tandem::Tensor::randn({128, 784}, /*seed=*/1);
  const tandem::Tensor b = tandem::Tensor::randn({784, 256}, 2);

  const tandem::Tensor c = tandem::matmul(a, b);
  const tandem::Tensor h = tandem::relu(c);
  const tandem::Tensor q = tandem::quantized_matmul(a, b, 8);

  // The same through the reference kernels, forced by name.
  const auto reference = tandem::Options::using_implementation("reference");
  const auto c_ref = tandem::matmul(a, b, reference).to_vector<float>();
  const auto q_ref = tandem::quantized_matmul(a, b, 8, reference).to_vector<float>();

  double worst = 0.0;
  const auto got = c.to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::fmax(worst, std::fabs(double{got[i]} - double{c_ref[i]}));
  }
  const bool quantized_exact = q.to_vector<float>() == q_ref;
  std::printf("matmul %s: max |c - reference| = %.2e; relu %s; quantized_matmul %s the reference\n",
              c.shape().str().c_str(), worst, h.shape().str().c_str(),
              quantized_exact ? "equals" : "DIFFERS FROM");
  std::printf("devices: %d GPU(s); Tandem %s\n", tandem::cuda::device_count(),
              TANDEM_VERSION_STRING);
  return worst < 1e-2 && quantized_exact ? 0 : 1;
}
