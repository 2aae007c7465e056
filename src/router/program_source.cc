#include "router/program_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "program/program_json.h"

namespace openvpc::router {

FileProgramSource::Stamp FileProgramSource::stamp() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return {};
  return {true, st.st_ino, st.st_size, st.st_mtim};
}

bool FileProgramSource::changed() {
  return !fetched_ || !(stamp() == last_);
}

Result<program::Program> FileProgramSource::fetch() {
  // Stamp first: a write racing with the read shows up as a change on the next poll.
  last_ = stamp();
  fetched_ = true;
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return make_error("program.source", "cannot read " + path_ + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto program = program::program_from_json(text.str());
  if (!program) {
    return make_error(program.error().code, path_ + ": " + program.error().message);
  }
  return program;
}

}  // namespace openvpc::router
