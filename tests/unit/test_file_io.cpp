// sim/file_io: inputs that are directories or devices and outputs that cannot
// be written are named FileErrors (issue 10).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "sim/file_io.h"

namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const sim::FileError& e) {
    return e.what();
  }
  return "(no error)";
}

fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::temp_directory_path() / ("npusim_FileIo_" + std::string(info->name()) + "_" +
                                                  std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(FileIo, WriteReadRoundTrip) {
  const fs::path d = fresh_dir();
  const std::string f = (d / "a.txt").string();
  sim::OutFile o(f, "the thing");
  o.write("ab");
  o.printf("%d-%s", 7, "x");
  o.close();
  EXPECT_EQ(sim::read_file(f, "thing"), "ab7-x");
  sim::write_file(f, std::string("z\0y", 3), "");
  EXPECT_EQ(sim::read_file(f, "thing"), std::string("z\0y", 3));
  fs::remove_all(d);
}

TEST(FileIo, AFullDeviceFailsAtTheCloseEvenForAFewBytes) {
  ASSERT_TRUE(fs::exists("/dev/full"));
  sim::OutFile o("/dev/full", "the report");
  o.write("{}\n");  // buffered: nothing reaches the device before the flush
  EXPECT_EQ(error_of([&] { o.close(); }), "cannot write the report /dev/full: No space left on device");
  EXPECT_EQ(error_of([] { sim::write_file("/dev/full", std::string(1 << 20, 'x'), ""); }),
            "cannot write /dev/full: No space left on device");
}

TEST(FileIo, UnwritablePathsNameTheReason) {
  const fs::path d = fresh_dir();
  EXPECT_EQ(error_of([&] { sim::write_file(d.string(), "x", "the trace"); }),
            "cannot write the trace " + d.string() + ": Is a directory");
  EXPECT_EQ(error_of([&] { sim::write_file((d / "no" / "x").string(), "x", ""); }),
            "cannot write " + (d / "no" / "x").string() + ": No such file or directory");
  fs::remove_all(d);
}

TEST(FileIo, DirectoriesDevicesAndMissingFilesAreNotRead) {
  const fs::path d = fresh_dir();
  EXPECT_EQ(error_of([&] { sim::read_file(d.string(), "program"); }),
            d.string() + " is a directory (expected a program file)");
  // /dev/zero would read forever.
  EXPECT_EQ(error_of([] { sim::read_file("/dev/zero", "report"); }), "/dev/zero is a device, not a report file");
  EXPECT_EQ(error_of([&] { sim::check_input_file((d / "none").string(), "workload"); }),
            "cannot read workload file " + (d / "none").string() + ": No such file or directory");
  fs::remove_all(d);
}
