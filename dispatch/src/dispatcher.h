// The dispatcher: for a checked call, picks where it runs and which implementation
// runs it, moves host data to a GPU and back when it runs there, and writes the
// verbose log line.
#pragma once

#include <tandem/device.h>
#include <tandem/options.h>

#include "call.h"

namespace tandem::detail {

// data_device: where every operand of the call lives (the caller checked that they
// agree). Outputs are written where the data lives, whatever device ran the kernel.
void dispatch(Call& call, Device data_device, const Options& options);

}  // namespace tandem::detail
