#include "store/sqlite_db.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store_testing.h"

namespace openvpc::store::sqlite {
namespace {

TEST(SqliteDbTest, BytesRoundTripIncludingZeroBytesAndEmpty) {
  testing::TempDir dir;
  auto db = Database::open(dir.path() + "/t.db");
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE t(k BLOB NOT NULL, n INTEGER)"));
  auto insert = db->prepare("INSERT INTO t VALUES(?1, ?2)");
  ASSERT_TRUE(insert);
  const std::string bytes("a\0b\xff", 4);
  ASSERT_TRUE(insert->bind(1, bytes).bind(2, int64_t{1} << 40).run());
  insert->reset();
  ASSERT_TRUE(insert->bind(1, std::string_view()).bind(2, int64_t{-7}).run());  // not NULL
  auto select = db->prepare("SELECT k, n FROM t ORDER BY n DESC");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_bytes(0), bytes);
  EXPECT_EQ(select->column_int(1), int64_t{1} << 40);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_bytes(0), "");
  EXPECT_FALSE(select->column_null(0));
  EXPECT_FALSE(*select->step());
}

TEST(SqliteDbTest, ErrorsAreMappedToStoreCodes) {
  testing::TempDir dir;
  auto missing = Database::open(dir.path() + "/no/such/dir/t.db");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "store.unavailable");
  std::ofstream(dir.path() + "/garbage.db") << std::string(4096, 'g');
  auto garbage = Database::open(dir.path() + "/garbage.db");
  ASSERT_TRUE(garbage);  // SQLite reads the header lazily
  auto read = garbage->exec("SELECT * FROM sqlite_master");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, "store.corrupt");
  auto db = Database::open(dir.path() + "/t.db");
  ASSERT_TRUE(db);
  auto bad = db->prepare("SELECT nonsense FROM nowhere");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("nowhere"), std::string::npos);
}

TEST(SqliteDbTest, NoticesThatItsFileWasRemoved) {
  testing::TempDir dir;
  auto db = Database::open(dir.path() + "/t.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(x)"));
  EXPECT_FALSE(db->file_moved());
  std::filesystem::remove(dir.path() + "/t.db");
  EXPECT_TRUE(db->file_moved());
}

}  // namespace
}  // namespace openvpc::store::sqlite
