// Output paths checked before a run (issue 13): a report, trace or dump that
// cannot be written is an error naming the flag and the path before the
// simulation, not after it.
#pragma once

#include <string>

namespace cli {

// Throws sim::FileError "cannot write --FLAG PATH: REASON (checked before the
// run)" unless PATH can be opened for writing: a regular file is opened
// without truncating it, a missing one is created and removed again (so a
// failed run leaves nothing behind); a directory is an error; other existing
// files (pipes such as /dev/fd/3, devices) are left to the writer.
void check_output_file(const std::string& flag, const std::string& path);

// The same for an output directory (--dump DIR): DIR, or the directories the
// writer would create for it, must take a new file. What the check creates
// (directories, a probe file) it removes.
void check_output_dir(const std::string& flag, const std::string& dir);

}  // namespace cli
