// What a report was made from (issue 13): npusim's version and commit, the
// input files with a hash of their content, the --set overrides in order,
// the seed. `npusim run` writes it as the report's "provenance" object;
// `compare` prints it, `check` ignores it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cli {

// npusim's version (CMake's project version) and the git commit it was built
// from ("unknown" outside git; "-dirty" when tracked files had changes),
// both set at build time.
const char* npusim_version();
const char* npusim_commit();

// FNV-1a, 64 bits, of `bytes`: a content hash to tell file versions apart
// (no dependency; not cryptographic: it does not resist forged collisions).
uint64_t fnv1a64(std::string_view bytes);

// {"path": PATH, "fnv1a64": "<16 hex digits>"} of the file's content as it is
// now (sim::read_file: a FileError when it cannot be read).
nlohmann::ordered_json file_identity(const std::string& path);

struct ProvenanceInputs {
  std::vector<std::string> hw_files;  // the --hw file, then its bases (sim::HwSource::files())
  std::string input_kind;             // "workload" or "program"
  std::string input_path;
  std::vector<std::string> overrides;  // "KEY=VALUE", as given, in order
  bool functional = false;             // then seed (and inputs, when given) are recorded
  uint64_t seed = 0;
  std::string inputs_dir;  // "" = none
};

// The report's "provenance" object (README "The report").
nlohmann::ordered_json provenance(const ProvenanceInputs& in);

}  // namespace cli
