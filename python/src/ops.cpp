// The f32 operations: matmul, gemm, linear, the element-wise ops and the reductions,
// each on borrowed arrays (no copies), without the GIL, with an optional out= array.
#include <string>

#include <nanobind/stl/string.h>

#include <tandem/error.h>
#include <tandem/ops.h>

#include "arrays.h"
#include "bindings.h"
#include "gil.h"
#include "options.h"

namespace tandem::python {
namespace {

using namespace nb::literals;

using Unary = Tensor (*)(const Tensor&, const Options&);
using UnaryInto = void (*)(const Tensor&, Tensor&, const Options&);
using Binary = Tensor (*)(const Tensor&, const Tensor&, const Options&);
using BinaryInto = void (*)(const Tensor&, const Tensor&, Tensor&, const Options&);
using Reduction = double (*)(const Tensor&, const Tensor&, const Options&);

// An op's result: written into `out` (borrowed, writable) by into(out_tensor), out itself
// returned; or, without out, make()'s new tensor as an array of the inputs' framework.
template <typename Into, typename Make>
nb::object into_or_new(const char* op, nb::handle out, Framework framework, Into&& into,
                       Make&& make) {
  if (!out.is_none()) {
    Borrowed bout = borrow(op, "out", out, true);
    without_gil([&] { into(bout.tensor); });
    return nb::borrow(out);
  }
  return to_array(without_gil(make), framework);
}

void def_unary(nb::module_& m, const char* name, Unary op, UnaryInto into, const char* doc) {
  m.def(
      name,
      [name, op, into](nb::handle x, nb::handle out, const nb::kwargs& kwargs) -> nb::object {
        const Options options = parse_options(name, kwargs);
        const Borrowed bx = borrow(name, "x", x);
        return into_or_new(
            name, out, bx.framework, [&](Tensor& y) { into(bx.tensor, y, options); },
            [&] { return op(bx.tensor, options); });
      },
      "x"_a, nb::kw_only(), "out"_a = nb::none(), "options"_a, doc);
}

void def_binary(nb::module_& m, const char* name, Binary op, BinaryInto into, const char* doc) {
  m.def(
      name,
      [name, op, into](nb::handle x, nb::handle y, nb::handle out,
                       const nb::kwargs& kwargs) -> nb::object {
        const Options options = parse_options(name, kwargs);
        const Borrowed bx = borrow(name, "x", x);
        const Borrowed by = borrow(name, "y", y);
        return into_or_new(
            name, out, bx.framework, [&](Tensor& z) { into(bx.tensor, by.tensor, z, options); },
            [&] { return op(bx.tensor, by.tensor, options); });
      },
      "x"_a, "y"_a, nb::kw_only(), "out"_a = nb::none(), "options"_a, doc);
}

void def_reduction(nb::module_& m, const char* name, Reduction op, const char* doc) {
  m.def(
      name,
      [name, op](nb::handle x, nb::handle y, const nb::kwargs& kwargs) {
        const Options options = parse_options(name, kwargs);
        const Borrowed bx = borrow(name, "x", x);
        const Borrowed by = borrow(name, "y", y);
        return without_gil([&] { return op(bx.tensor, by.tensor, options); });
      },
      "x"_a, "y"_a, "options"_a, doc);
}

}  // namespace

Activation activation_from(const char* op, const std::string& name) {
  if (const auto a = parse_activation(name)) return *a;
  throw ArgumentError(std::string(op) + ": unknown activation '" + name + "' (none, relu)");
}

void bind_ops(nb::module_& m) {
  m.def(
      "matmul",
      [](nb::handle a, nb::handle b, nb::handle out, const nb::kwargs& kwargs) -> nb::object {
        const Options options = parse_options("matmul", kwargs);
        const Borrowed ba = borrow("matmul", "a", a);
        const Borrowed bb = borrow("matmul", "b", b);
        return into_or_new(
            "matmul", out, ba.framework,
            [&](Tensor& c) { matmul(ba.tensor, bb.tensor, c, options); },
            [&] { return matmul(ba.tensor, bb.tensor, options); });
      },
      "a"_a, "b"_a, nb::kw_only(), "out"_a = nb::none(), "options"_a,
      "a @ b for float32 a [m, k] and b [k, n]: a new [m, n] array, or written into out.");

  m.def(
      "gemm",
      [](nb::handle a, nb::handle b, nb::handle c, float alpha, float beta, bool trans_a,
         bool trans_b, const nb::kwargs& kwargs) {
        const Options options = parse_options("gemm", kwargs);
        const Borrowed ba = borrow("gemm", "a", a);
        const Borrowed bb = borrow("gemm", "b", b);
        Borrowed bc = borrow("gemm", "c", c, true);
        const auto t = [](bool yes) { return yes ? Transpose::yes : Transpose::no; };
        without_gil([&] {
          gemm(t(trans_a), t(trans_b), alpha, ba.tensor, bb.tensor, beta, bc.tensor, options);
        });
      },
      "a"_a, "b"_a, "c"_a, nb::kw_only(), "alpha"_a = 1.0f, "beta"_a = 0.0f, "trans_a"_a = false,
      "trans_b"_a = false, "options"_a,
      "c = alpha * op(a) @ op(b) + beta * c, in place on c (BLAS semantics; beta == 0 "
      "never reads c). op transposes when trans_a / trans_b.");

  m.def(
      "linear",
      [](nb::handle x, nb::handle w, nb::handle bias, const std::string& activation, nb::handle out,
         const nb::kwargs& kwargs) -> nb::object {
        const Options options = parse_options("linear", kwargs);
        const Activation act = activation_from("linear", activation);
        const Borrowed bx = borrow("linear", "x", x);
        const Borrowed bw = borrow("linear", "w", w);
        const Borrowed bb = bias.is_none() ? Borrowed{} : borrow("linear", "bias", bias);
        return into_or_new(
            "linear", out, bx.framework,
            [&](Tensor& y) { linear(bx.tensor, bw.tensor, bb.tensor, act, y, options); },
            [&] { return linear(bx.tensor, bw.tensor, bb.tensor, act, options); });
      },
      "x"_a, "w"_a, "bias"_a = nb::none(), "activation"_a = "none", nb::kw_only(),
      "out"_a = nb::none(), "options"_a,
      "activation(x @ w + bias), x [m, k], w [k, n], bias [n] or None, activation 'none' "
      "or 'relu': the bias and activation applied in the GEMM's store.");

  def_unary(m, "relu", &relu, &relu, "max(x, 0) element-wise (NaN propagates); out may be x.");
  def_binary(m, "add", &add, &add, "x + y element-wise (equal shapes, no broadcasting).");
  def_binary(m, "multiply", &multiply, &multiply, "x * y element-wise (equal shapes).");
  def_binary(m, "squared_difference", &squared_difference, &squared_difference,
             "(x - y)^2 element-wise (equal shapes).");
  def_reduction(m, "dot", &dot, "The sum of x * y over all elements, as a float.");
  def_reduction(m, "euclidean_distance", &euclidean_distance,
                "sqrt(sum((x - y)^2)) over all elements, as a float.");
  def_reduction(m, "cosine_similarity", &cosine_similarity,
                "dot(x, y) / (|x| |y|) over all elements (0 for a zero vector), as a float.");
}

}  // namespace tandem::python
