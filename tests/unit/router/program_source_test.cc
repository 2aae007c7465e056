#include "router/program_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "program/program_json.h"
#include "test_programs.h"

namespace openvpc::router {
namespace {

class FileProgramSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "router-program-" + std::to_string(::getpid()) + ".json";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) {
    const std::string tmp = path_ + ".tmp";
    std::ofstream(tmp) << text;
    std::rename(tmp.c_str(), path_.c_str());
  }
  std::string path_;
};

TEST_F(FileProgramSourceTest, MissingFileIsAnError) {
  FileProgramSource source(path_);
  EXPECT_TRUE(source.changed());
  auto program = source.fetch();
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code, "program.source");
  EXPECT_NE(program.error().message.find(path_), std::string::npos);
}

TEST_F(FileProgramSourceTest, MalformedJsonNamesTheFile) {
  write("{ \"generation\": ");
  FileProgramSource source(path_);
  auto program = source.fetch();
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code, "program.json");
  EXPECT_NE(program.error().message.find(path_), std::string::npos);
}

TEST_F(FileProgramSourceTest, NoticesAReplacedFile) {
  write(program::program_to_json(testing::small_program(0x7f000002, true, 1)));
  FileProgramSource source(path_);
  ASSERT_TRUE(source.changed());
  auto first = source.fetch();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->generation, 1u);
  EXPECT_FALSE(source.changed());
  write(program::program_to_json(testing::small_program(0x7f000002, true, 2)));
  EXPECT_TRUE(source.changed());
  EXPECT_EQ(source.fetch()->generation, 2u);
  EXPECT_FALSE(source.changed());
}

}  // namespace
}  // namespace openvpc::router
