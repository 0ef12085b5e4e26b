#pragma once

#include <stdexcept>

namespace sim {

// A program that breaks a rule at run time: capacity, GM bounds, read before
// write, deadlock. The message names task, kernel, site and instruction.
struct SimError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace sim
