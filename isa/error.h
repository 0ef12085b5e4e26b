// The one line between the user's mistakes and ours.
//
// Every error that bad input can cause (a config, workload, program, file or
// flag the user gave) derives from InputError: the CLI prints its message
// and exits 2. Anything else that escapes (std::logic_error, std::bad_alloc,
// a SystemC report) is a bug in npusim: the CLI says so and exits 3.
#pragma once

#include <stdexcept>

namespace isa {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace isa
