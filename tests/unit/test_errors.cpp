// The CLI's error discipline (issue 10, case 10): bad input exits 2 with its
// message; anything else is a bug in npusim, said as such, exit 3.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "tools/cli/cli.h"

namespace {

TEST(Guarded, BadInputExitsTwoWithItsMessage) {
  testing::internal::CaptureStderr();
  const int rc = cli::guarded([]() -> int { throw isa::InputError("cannot open x.yaml"); });
  EXPECT_EQ(rc, cli::kBadInput);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "npusim: error: cannot open x.yaml\n");
}

TEST(Guarded, EveryInputErrorKindIsBadInput) {
  EXPECT_EQ(cli::guarded([]() -> int { throw sim::SimError("deadlock"); }), cli::kBadInput);
  EXPECT_EQ(cli::guarded([]() -> int { throw sim::ConfigError("f:1: k: bad"); }), cli::kBadInput);
  EXPECT_EQ(cli::guarded([]() -> int { throw workloads::WorkloadError("f:1: k: bad"); }), cli::kBadInput);
  EXPECT_EQ(cli::guarded([]() -> int { throw isa::ProgramError("bad"); }), cli::kBadInput);
}

TEST(Guarded, AnythingElseIsABugWithItsOwnExitCode) {
  testing::internal::CaptureStderr();
  const int rc = cli::guarded([]() -> int { throw std::logic_error("duplicate mnemonic tadd"); });
  EXPECT_EQ(rc, cli::kInternal);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("internal error: duplicate mnemonic tadd"), std::string::npos) << err;
  EXPECT_NE(err.find("this is a bug in npusim"), std::string::npos) << err;
}

TEST(Guarded, OutOfMemoryIsABugNotBadInput) {
  // Inputs are sized before anything is allocated for them, so running out
  // of memory means a size check is missing.
  testing::internal::CaptureStderr();
  EXPECT_EQ(cli::guarded([]() -> int { throw std::bad_alloc(); }), cli::kInternal);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("this is a bug"), std::string::npos);
}

}  // namespace
