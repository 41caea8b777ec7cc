// Tandem's public API in one include.
#pragma once

#include <tandem/cost_model.h>
#include <tandem/device.h>
#include <tandem/dtype.h>
#include <tandem/error.h>
#include <tandem/kernels.h>
#include <tandem/log.h>
#include <tandem/op.h>
#include <tandem/ops.h>
#include <tandem/options.h>
#include <tandem/quantized_layer.h>
#include <tandem/shape.h>
#include <tandem/tensor.h>
#include <tandem/timing.h>
#include <tandem/transpose.h>
#include <tandem/version.h>
