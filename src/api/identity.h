// identity.h — the two identity calls that AWS clients make before anything else, answered
// with the same access keys as EC2: STS GetCallerIdentity (Query API 2011-06-15) and, as its
// fallback in older tools, IAM GetUser (2010-05-08).
//
// Terraform's AWS provider calls GetCallerIdentity at start-up and Ansible's amazon.aws modules
// on every run to learn the account id; without it they stop before the first EC2 call. The
// SigV4 credential scope's service (sts, iam) is what routes a request here (service.cc): the
// signature is checked for that service like EC2's. Every caller is an IAM user named after
// its account (arn:aws:iam::ACCOUNT:user/NAME); anything else these services have is answered
// with their InvalidAction error.
#pragma once

#include <string>

#include "api/query.h"
#include "model/resources.h"

namespace openvpc::api {

struct IdentityAnswer {
  int status = 200;
  std::string code = "Success";  // or the error code, for the audit log
  std::string body;
};

// service: "sts" or "iam". account and access_key_id: the verified caller.
IdentityAnswer answer_identity(const std::string& service, const Params& params,
                               const model::Account& account, const std::string& access_key_id,
                               const std::string& request_id);

}  // namespace openvpc::api
