#pragma once

#include <stdexcept>

#include "isa/error.h"

namespace sim {

// A program that breaks a rule at run time: capacity, GM bounds, read before
// write, deadlock. The message names task, kernel, site and instruction.
struct SimError : isa::InputError {
  using isa::InputError::InputError;
};

}  // namespace sim
