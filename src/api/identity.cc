#include "api/identity.h"

#include "api/xml.h"

namespace openvpc::api {

namespace {

constexpr std::string_view kStsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
constexpr std::string_view kIamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/";

// IAM user ids start with AIDA where access key ids start with AKIA.
std::string user_id(const std::string& access_key_id) {
  if (access_key_id.rfind("AKIA", 0) == 0) return "AIDA" + access_key_id.substr(4);
  return access_key_id;
}

std::string user_name(const model::Account& account) {
  return account.name.empty() ? account.id : account.name;
}

std::string arn(const model::Account& account) {
  return "arn:aws:iam::" + account.id + ":user/" + user_name(account);
}

// STS and IAM's error document (not EC2's): <ErrorResponse><Error><Type>...
IdentityAnswer error(std::string_view ns, int status, const std::string& code,
                     const std::string& message, const std::string& request_id) {
  XmlWriter out;
  out.open("ErrorResponse", "xmlns=\"" + std::string(ns) + "\"").open("Error");
  out.text("Type", "Sender").text("Code", code).text("Message", message).close();
  out.text("RequestId", request_id);
  return {status, code, out.finish()};
}

}  // namespace

IdentityAnswer answer_identity(const std::string& service, const Params& params,
                               const model::Account& account, const std::string& access_key_id,
                               const std::string& request_id) {
  const std::string_view ns = service == "iam" ? kIamNamespace : kStsNamespace;
  const std::string action = params.get_or("Action", "");
  const bool known = (service == "sts" && action == "GetCallerIdentity") ||
                     (service == "iam" && action == "GetUser");
  if (!known) {
    return error(
        ns, 400, "InvalidAction",
        "Could not find operation " + action + " for version " + params.get_or("Version", ""),
        request_id);
  }
  if (service == "iam" && !params.get_or("UserName", "").empty() &&
      params.get_or("UserName", "") != user_name(account)) {
    return error(ns, 404, "NoSuchEntity",
                 "The user with name " + params.get_or("UserName", "") + " cannot be found.",
                 request_id);
  }
  XmlWriter out;
  out.open(action + "Response", "xmlns=\"" + std::string(ns) + "\"");
  out.open(action + "Result");
  if (service == "sts") {
    out.text("Arn", arn(account)).text("UserId", user_id(access_key_id));
    out.text("Account", account.id);
  } else {
    out.open("User").text("Path", "/").text("UserName", user_name(account));
    // No CreateDate: accounts do not record when they were made, and no date is better than
    // an invented one (clients read Arn and UserName).
    out.text("UserId", user_id(access_key_id)).text("Arn", arn(account)).close();
  }
  out.close().open("ResponseMetadata").text("RequestId", request_id).close();
  return {200, "Success", out.finish()};
}

}  // namespace openvpc::api
