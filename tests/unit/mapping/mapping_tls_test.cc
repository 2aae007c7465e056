// The mapping service with mutual TLS, over real gRPC on 127.0.0.1: a host's certificate gets
// its own program; a certificate used to claim another host, or by a role that may not
// subscribe, is refused with PERMISSION_DENIED and counted; no certificate or one from a foreign
// CA fails the handshake.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "mapping.grpc.pb.h"
#include "mapping/mapping_client.h"
#include "mapping/mapping_server.h"
#include "pki/certificate_authority.h"
#include "test_programs.h"

namespace openvpc::mapping {
namespace {

using testing::wait_until;

class MappingTls : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "openvpc-mapping-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto ca = pki::CertificateAuthority::open_or_create(dir_ + "/pki");
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_ = std::make_unique<pki::CertificateAuthority>(std::move(*ca));
    auto server_credentials = ca_->issue(
        {.id = "controller", .role = pki::Role::controller, .dns_sans = {"openvpc-controller"}});
    ASSERT_TRUE(server_credentials.ok());
    MappingServerOptions options;
    options.tls = *server_credentials;
    server_ = std::make_unique<MappingServer>(std::move(options));
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    target_ = "127.0.0.1:" + std::to_string(*port);
    server_->publish("h1", testing::rich_program());
    server_->publish("h2", testing::rich_program());
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Issues (id, role) into DIR/NAME and returns the folder.
  std::string issue(const std::string& name, const std::string& id, pki::Role role,
                    const pki::CertificateAuthority* ca = nullptr) {
    auto credentials = (ca ? ca : ca_.get())->issue({.id = id, .role = role});
    EXPECT_TRUE(credentials.ok());
    EXPECT_TRUE(pki::write_credentials(dir_ + "/" + name, *credentials).ok());
    return dir_ + "/" + name;
  }

  MappingClientOptions client_options(const std::string& host_id, const std::string& tls_dir) {
    MappingClientOptions options;
    options.target = target_;
    options.host_id = host_id;
    options.initial_backoff = std::chrono::milliseconds(20);
    options.max_backoff = std::chrono::milliseconds(200);
    options.tls_dir = tls_dir;
    options.refused_backoff = std::chrono::hours(1);  // one try each: countable
    return options;
  }

  // A Lookup for HOST_ID over a channel with CREDENTIALS; its status.
  grpc::Status lookup(const std::string& host_id,
                      std::shared_ptr<grpc::ChannelCredentials> credentials) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("openvpc-controller");
    auto stub =
        wire::MappingService::NewStub(grpc::CreateCustomChannel(target_, credentials, args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    wire::LookupRequest request;
    request.set_host_id(host_id);
    request.set_address(std::string(4, '\0'));
    wire::LookupReply reply;
    return stub->Lookup(&context, request, &reply);
  }

  static std::shared_ptr<grpc::ChannelCredentials> credentials_from(const std::string& tls_dir,
                                                                    bool with_client_cert = true) {
    auto files = pki::read_credentials(tls_dir);
    EXPECT_TRUE(files.ok());
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = files->ca_pem;
    if (with_client_cert) {
      ssl.pem_cert_chain = files->cert_pem;
      ssl.pem_private_key = files->key_pem;
    }
    return grpc::SslCredentials(ssl);
  }

  uint64_t refused(MappingRefusal reason) const { return server_->refusals()[size_t(reason)]; }

  std::string dir_;
  std::unique_ptr<pki::CertificateAuthority> ca_;
  std::unique_ptr<MappingServer> server_;
  std::string target_;
};

TEST_F(MappingTls, HostWithItsCertificateGetsItsProgram) {
  std::string h1 = issue("h1", "h1", pki::Role::router);
  std::atomic<uint64_t> applied{0};
  MappingClient client(client_options("h1", h1), [&](const program::Program&, uint64_t version) {
    applied = version;
    return Result<void>();
  });
  client.start();
  ASSERT_TRUE(wait_until([&] {
    auto host = server_->host("h1");
    return host && host->acked_version == 1 && host->connected;
  }));
  EXPECT_EQ(applied.load(), 1u);
  EXPECT_TRUE(lookup("h1", credentials_from(h1)).ok());
  for (size_t i = 0; i < kMappingRefusalCount; ++i) EXPECT_EQ(server_->refusals()[i], 0u);
}

TEST_F(MappingTls, CertificateForOneHostCannotClaimAnother) {
  std::string h1 = issue("h1", "h1", pki::Role::router);
  std::atomic<int> programs{0};
  MappingClient client(client_options("h2", h1), [&](const program::Program&, uint64_t) {
    ++programs;
    return Result<void>();
  });
  client.start();
  ASSERT_TRUE(wait_until([&] { return refused(MappingRefusal::host_mismatch) >= 1; }));
  grpc::Status status = lookup("h2", credentials_from(h1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("h2"), std::string::npos);
  EXPECT_EQ(refused(MappingRefusal::host_mismatch), 2u);  // the Hello and the Lookup
  EXPECT_EQ(programs.load(), 0);
  EXPECT_FALSE(server_->host("h2")->connected);
  EXPECT_EQ(server_->host("h2")->acked_version, 0u);
}

TEST_F(MappingTls, OperatorCertificateMayNotSubscribe) {
  std::string op = issue("op", "h1", pki::Role::operator_);
  MappingClient client(client_options("h1", op),
                       [&](const program::Program&, uint64_t) { return Result<void>(); });
  client.start();
  ASSERT_TRUE(wait_until([&] { return refused(MappingRefusal::role_mismatch) >= 1; }));
  EXPECT_EQ(lookup("h1", credentials_from(op)).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server_->host("h1")->acked_version, 0u);
  // One session per refused_backoff: the client does not spin on a refusal.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client.status().sessions, 1u);
}

TEST_F(MappingTls, NoClientCertificateFailsTheHandshake) {
  std::string h1 = issue("h1", "h1", pki::Role::router);
  grpc::Status status = lookup("h1", credentials_from(h1, false));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  status = lookup("h1", grpc::InsecureChannelCredentials());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MappingTls, ForeignCaCertificateFailsTheHandshake) {
  auto foreign = pki::CertificateAuthority::open_or_create(dir_ + "/foreign-pki");
  ASSERT_TRUE(foreign.ok());
  std::string mallory = issue("mallory", "h1", pki::Role::router, &*foreign);
  // Trusting our CA for the server, presenting the foreign CA's certificate.
  auto files = pki::read_credentials(mallory);
  ASSERT_TRUE(files.ok());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_->ca_pem();
  ssl.pem_cert_chain = files->cert_pem;
  ssl.pem_private_key = files->key_pem;
  EXPECT_EQ(lookup("h1", grpc::SslCredentials(ssl)).error_code(), grpc::StatusCode::UNAVAILABLE);
  std::atomic<int> programs{0};
  MappingClient client(client_options("h1", mallory), [&](const program::Program&, uint64_t) {
    ++programs;
    return Result<void>();
  });
  client.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client.status().sessions, 0u);
  EXPECT_EQ(programs.load(), 0);
  EXPECT_FALSE(server_->host("h1")->connected);
}

TEST_F(MappingTls, UnreadableTlsFilesAreAnErrorNotAPlaintextFallback) {
  MappingClient client(client_options("h1", dir_ + "/nothing-here"),
                       [&](const program::Program&, uint64_t) { return Result<void>(); });
  auto answer = client.lookup(1, program::IpAddress{}, std::chrono::milliseconds(500));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, "mapping.unavailable");
}

}  // namespace
}  // namespace openvpc::mapping
