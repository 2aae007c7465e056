// A flow log's file is opened under ROOT/ACCOUNT/ and never outside it: a table of destinations
// and what the tenant (or someone with a shell on the host) put there beforehand — '..',
// absolute paths, /etc/passwd, symlinks to files and to directories, hard links, FIFOs. Each
// case checks the outcome and that the file outside the root is untouched.
#include "router/flow_log_directory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

namespace openvpc::router {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAccount = "123456789012";
constexpr const char* kSecret = "root:x:0:0:root:/root:/bin/bash\n";

class FlowLogDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "flowlog-dir-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    root_ = base_ / "root";
    outside_ = base_ / "outside";
    fs::create_directories(root_ / kAccount);
    fs::create_directories(outside_);
    std::ofstream(outside_ / "passwd") << kSecret;
  }
  void TearDown() override { fs::remove_all(base_); }

  std::string outside_text() const {
    std::ifstream in(outside_ / "passwd");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Opens the destination as a delivery does; the error message, or "" when it opened. The
  // check a new flow log gets (which creates no file) must come to the same answer first.
  std::string open(const std::string& destination, const std::string& account = kAccount) {
    auto location = locate_log_file(root_.string(), account, destination);
    if (!location) return location.error().message;
    auto checked = check_log_file(*location);
    auto file = open_log_file(*location);
    EXPECT_EQ(checked ? "" : checked.error().message, file ? "" : file.error().message);
    return file ? "" : file.error().message;
  }

  fs::path base_, root_, outside_;
};

struct ConfinementCase {
  std::string description;
  std::function<void(const fs::path& account_dir, const fs::path& outside)> plant;
  std::string destination;
  std::string error;  // "" when it must open; then the file is ROOT/ACCOUNT/destination
};

TEST_F(FlowLogDirectoryTest, NeverOpensAnythingOutsideTheAccountDirectory) {
  const auto nothing = [](const fs::path&, const fs::path&) {};
  const std::string absolute = "Access error: the destination is absolute";
  const std::string dots = "Access error: the destination has a '.' or '..' path component";
  const std::string loop = "Too many levels of symbolic links";
  const ConfinementCase cases[] = {
      {"a file", nothing, "flows.log", ""},
      {"a file in new folders", nothing, "web/a/flows.log", ""},
      {"an existing file", [](auto& a, auto&) { std::ofstream(a / "old.log") << "x\n"; }, "old.log",
       ""},
      {"absolute /etc/passwd", nothing, "/etc/passwd", absolute},
      {"absolute outside", nothing, (outside_ / "passwd").string(), absolute},
      {"parent", nothing, "../../outside/passwd", dots},
      {"parent inside", nothing, "web/../../../outside/passwd", dots},
      {"symlink to /etc/passwd",
       [](auto& a, auto&) { fs::create_symlink("/etc/passwd", a / "passwd"); }, "passwd",
       "Access error: passwd: " + loop},
      {"symlink to a file outside",
       [](auto& a, auto& o) { fs::create_symlink(o / "passwd", a / "mine.log"); }, "mine.log",
       "Access error: mine.log: " + loop},
      {"dangling symlink (would create outside)",
       [](auto& a, auto& o) { fs::create_symlink(o / "new.log", a / "new.log"); }, "new.log",
       "Access error: new.log: " + loop},
      {"symlinked directory", [](auto& a, auto& o) { fs::create_directory_symlink(o, a / "logs"); },
       "logs/passwd", "Access error: logs/passwd: " + loop},
      {"symlinked directory to /etc",
       [](auto& a, auto&) { fs::create_directory_symlink("/etc", a / "etc"); }, "etc/passwd",
       "Access error: etc/passwd: " + loop},
      {"symlinked directory deeper",
       [](auto& a, auto& o) {
         fs::create_directories(a / "web");
         fs::create_directory_symlink(o, a / "web" / "up");
       },
       "web/up/passwd", "Access error: web/up/passwd: " + loop},
      {"hard link to a file outside",
       [](auto& a, auto& o) { fs::create_hard_link(o / "passwd", a / "hard.log"); }, "hard.log",
       "Access error: hard.log: the file has other links"},
      {"a FIFO", [](auto& a, auto&) { ::mkfifo((a / "fifo").c_str(), 0644); }, "fifo",
       "Access error: fifo: No such device or address"},
      {"a directory", [](auto& a, auto&) { fs::create_directories(a / "dir.log"); }, "dir.log",
       "Access error: dir.log: Is a directory"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.description);
    fs::remove_all(root_ / kAccount);
    fs::create_directories(root_ / kAccount);
    c.plant(root_ / kAccount, outside_);
    EXPECT_EQ(open(c.destination), c.error);
    if (c.error.empty()) {
      EXPECT_TRUE(fs::is_regular_file(root_ / kAccount / c.destination));
    }
    EXPECT_EQ(outside_text(), kSecret);
    EXPECT_FALSE(fs::exists(outside_ / "new.log"));
  }
}

TEST_F(FlowLogDirectoryTest, TheAccountDirectoryIsCreatedAndNeverFollowed) {
  fs::remove_all(root_ / kAccount);
  EXPECT_EQ(open("flows.log"), "");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(root_ / kAccount)));
  fs::remove_all(root_ / kAccount);
  fs::create_directory_symlink(outside_, root_ / kAccount);
  EXPECT_EQ(open("passwd"), "Access error: passwd: Too many levels of symbolic links");
  auto location = locate_log_file(root_.string(), "123456789013", "new/flows.log");
  ASSERT_TRUE(location.ok());
  EXPECT_TRUE(check_log_file(*location).ok());  // a new flow log creates no file
  EXPECT_FALSE(fs::exists(root_ / "123456789013" / "new" / "flows.log"));
  EXPECT_EQ(open("flows.log", "../outside"), "Access error: the account id is not a name");
  EXPECT_EQ(outside_text(), kSecret);
}

TEST_F(FlowLogDirectoryTest, TheRootIsCreatedWhenMissing) {
  root_ = base_ / "new-root" / "flow-logs";
  EXPECT_EQ(open("flows.log"), "");
  EXPECT_TRUE(fs::is_regular_file(root_ / kAccount / "flows.log"));
}

TEST_F(FlowLogDirectoryTest, RotationRenamesInsideTheDirectoryOnly) {
  const fs::path account = root_ / kAccount;
  std::ofstream(account / "flows.log") << "current\n";
  std::ofstream(account / "flows.log.1") << "older\n";
  // A symlink where a rotated name goes is replaced, never followed.
  fs::create_symlink(outside_ / "passwd", account / "flows.log.2");
  auto location = locate_log_file(root_.string(), kAccount, "flows.log");
  ASSERT_TRUE(location.ok());
  rotate_log_file(*location, 3);
  EXPECT_FALSE(fs::exists(account / "flows.log"));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(account / "flows.log.1")));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(account / "flows.log.2")));
  EXPECT_TRUE(fs::is_symlink(account / "flows.log.3"));
  rotate_log_file(*location, 3);  // the oldest (the link) is removed, not what it names
  EXPECT_FALSE(fs::is_symlink(account / "flows.log.3"));
  EXPECT_TRUE(fs::is_regular_file(account / "flows.log.3"));
  EXPECT_EQ(outside_text(), kSecret);
}

}  // namespace
}  // namespace openvpc::router
