// account.h — accounts and their access keys, kept in the Region like every resource.
//
// An account id is 12 digits; an access key id "AKIA" + 16 upper-case letters/digits and its
// secret 40 characters. The first account created on an empty region is the admin account.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "model/ids.h"
#include "model/region.h"

namespace openvpc::model {

Result<std::string> create_account(Region& region, IdSource& ids, std::string_view name,
                                   bool admin);
Result<AccessKey> create_access_key(Region& region, IdSource& ids, const std::string& account_id);
// The admin account, if the region has one.
std::optional<Account> admin_account(const Region& region);

}  // namespace openvpc::model
