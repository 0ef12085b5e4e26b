// `npusim run --set KEY=VALUE`: edit a key of the hardware or workload YAML
// after loading it and before validating it. Sweeps (`npusim sweep`) run
// every point as `npusim run ... --set KEY=VALUE ...`.
//
// KEY is `hw.<path>` or `workload.<path>`; <path> is a dot path through the
// YAML maps ("gm.bandwidth_gbps", "tiling.scope1_k_chunk"), a sequence element
// written `name[i]` ("seq_lens.list[3]"). A workload key must already exist
// in the file: an override never adds one, so a typo is an error naming it. A
// hw key must be a key of the hardware schema (docs/hw_config.md), whether the
// file writes it, inherits it from its base or leaves it to its default.
// VALUE is parsed as YAML (a scalar, or flow style: `[1, 2]`, `{a: 1}`).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "isa/error.h"
#include "sim/hw_config.h"

namespace YAML {
class Node;
}

namespace cli {

struct OverrideError : isa::InputError {
  using isa::InputError::InputError;
};

struct Override {
  std::string target;  // "hw" or "workload"
  std::string path;    // below the target: "gm.bandwidth_gbps"
  std::string value;   // YAML text
  std::string key() const { return target + "." + path; }
  std::string origin() const { return "--set " + key() + "=" + value; }  // for messages
};

// "hw.gm.bandwidth_gbps=800" -> {hw, gm.bandwidth_gbps, 800}. Throws
// OverrideError for a missing '=', an unknown target or an empty path.
Override parse_override(const std::string& arg);

// True when `path` (as above, without the target) names an existing key.
bool has_key(const YAML::Node& root, const std::string& path);

// Replace the value at o.path in `root` (the document of `file`, named in
// messages). A scalar keeps the node (and its position in the file); a flow
// value replaces it. Throws OverrideError("--set KEY: no such key in FILE")
// or for a VALUE that is not valid YAML.
void apply_override(YAML::Node& root, const Override& o, const std::string& file);

// Put a hw.* override on top of `hw` (sim::HwSource::set). Throws
// OverrideError("--set KEY: no such key in FILE") when KEY is not a key of the
// hardware schema, FILE being the file given; also for `base` (which cannot
// be set) and for a VALUE that is not valid YAML.
void apply_override(sim::HwSource& hw, const Override& o);

// The hardware file `file` with its bases, and the hw.* overrides of `os`
// on top, in order (the last one of a key wins). `defaulted`: `file` is
// default_hw_file() because no --hw was given; a message about reading it
// then says so and how to give one.
sim::HwSource load_hw_source(const std::string& file, const std::vector<Override>& os, bool defaulted = false);

// The default of --hw (run, hw show, bench): a2a3.yaml in the presets of the
// tree the binary belongs to (sim::hw_preset_dir(): <tree>/configs/hw next to
// <tree>/<build>/bin/npusim, else the source tree it was built from), so it
// does not depend on the working directory. Named relative to the working
// directory when it lies below it ("configs/hw/a2a3.yaml" in the tree).
std::string default_hw_file();


// A workload error "FILE:LINE: key.path: message" about an overridden key (or
// one below it) becomes "FILE: key.path: message (from --set KEY=VALUE)": its
// line would point at the file's value, not the one that failed. Other
// messages are returned unchanged.
std::string explain_workload_error(const std::string& message, const std::string& file,
                                   const std::vector<Override>& os);

}  // namespace cli
