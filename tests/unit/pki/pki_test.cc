// The region's CA: created once, reopened the same; issued certificates verify against it and
// name their id and role; a foreign CA's do not; private keys are 0600.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "pki/certificate_authority.h"
#include "pki/identity.h"

namespace openvpc::pki {
namespace {

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "openvpc-pki-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }
  std::string dir_;
};

TEST_F(PkiTest, CreatingTheCaTwiceOpensTheFirstOne) {
  auto first = CertificateAuthority::open_or_create(dir_ + "/pki");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = CertificateAuthority::open_or_create(dir_ + "/pki");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(first->ca_pem(), second->ca_pem());
  EXPECT_EQ(mode_of(dir_ + "/pki/ca-key.pem"), 0600u);
  // Nothing but the two files, no scratch folder left beside it.
  size_t entries = 0;
  for (auto& entry : std::filesystem::directory_iterator(dir_)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST_F(PkiTest, ConcurrentCreationsAgreeOnOneCa) {
  std::vector<std::string> pems(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < pems.size(); ++i) {
    threads.emplace_back([&, i] {
      auto ca = CertificateAuthority::open_or_create(dir_ + "/pki");
      if (ca.ok()) pems[i] = ca->ca_pem();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& pem : pems) {
    EXPECT_FALSE(pem.empty());
    EXPECT_EQ(pem, pems[0]);
  }
}

TEST_F(PkiTest, OpenWithoutACaIsAClearError) {
  auto ca = CertificateAuthority::open(dir_ + "/none");
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.error().code, "pki.missing");
}

TEST_F(PkiTest, IssuedCertificateVerifiesAndNamesItsIdAndRole) {
  auto ca = CertificateAuthority::open_or_create(dir_ + "/pki");
  ASSERT_TRUE(ca.ok());
  auto issued = ca->issue({.id = "h1", .role = Role::edge});
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_TRUE(verify_certificate(issued->cert_pem, ca->ca_pem()).ok());
  auto identity = read_identity(issued->cert_pem);
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_EQ(identity->id, "h1");
  EXPECT_EQ(identity->role, Role::edge);
  EXPECT_EQ(issued->ca_pem, ca->ca_pem());

  auto op = ca->issue({.id = "alice", .role = Role::operator_});
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(read_identity(op->cert_pem)->role, Role::operator_);
}

TEST_F(PkiTest, ForeignCaCertificateIsRejected) {
  auto ours = CertificateAuthority::open_or_create(dir_ + "/ours");
  auto theirs = CertificateAuthority::open_or_create(dir_ + "/theirs");
  ASSERT_TRUE(ours.ok() && theirs.ok());
  auto foreign = theirs->issue({.id = "h1", .role = Role::router});
  ASSERT_TRUE(foreign.ok());
  auto verdict = verify_certificate(foreign->cert_pem, ours->ca_pem());
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().code, "pki.untrusted");
}

TEST_F(PkiTest, BadIdsAndSansAreRefused) {
  auto ca = CertificateAuthority::open_or_create(dir_ + "/pki");
  ASSERT_TRUE(ca.ok());
  EXPECT_EQ(ca->issue({.id = ""}).error().code, "pki.invalid");
  EXPECT_EQ(ca->issue({.id = "a,OU=operator"}).error().code, "pki.invalid");
  EXPECT_EQ(ca->issue({.id = std::string(65, 'a')}).error().code, "pki.invalid");
  EXPECT_EQ(ca->issue({.id = "c", .ip_sans = {"not-an-ip"}}).error().code, "pki.invalid");
  EXPECT_TRUE(ca->issue({.id = "c",
                         .role = Role::controller,
                         .dns_sans = {"localhost"},
                         .ip_sans = {"127.0.0.1", "::1"}})
                  .ok());
}

TEST_F(PkiTest, CredentialsRoundTripWithAPrivateKey) {
  auto ca = CertificateAuthority::open_or_create(dir_ + "/pki");
  ASSERT_TRUE(ca.ok());
  auto issued = ca->issue({.id = "h2"});
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(write_credentials(dir_ + "/h2", *issued).ok());
  EXPECT_EQ(mode_of(dir_ + "/h2/key.pem"), 0600u);
  // A reissue replaces the files (rotation).
  auto again = ca->issue({.id = "h2"});
  ASSERT_TRUE(write_credentials(dir_ + "/h2", *again).ok());
  auto read = read_credentials(dir_ + "/h2");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->cert_pem, again->cert_pem);
  EXPECT_EQ(read->key_pem, again->key_pem);
  EXPECT_NE(read->key_pem, issued->key_pem);
  EXPECT_EQ(read_credentials(dir_ + "/missing").error().code, "pki.io");
}

TEST(Identity, GarbageIsNotACertificate) {
  EXPECT_EQ(read_identity("nonsense").error().code, "pki.invalid");
  EXPECT_EQ(verify_certificate("nonsense", "nonsense").error().code, "pki.invalid");
  Role role;
  EXPECT_FALSE(parse_role("root", role));
  EXPECT_TRUE(parse_role("hyperplane", role));
  EXPECT_EQ(role, Role::hyperplane);
}

}  // namespace
}  // namespace openvpc::pki
