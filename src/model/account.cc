#include "model/account.h"

#include <algorithm>
#include <utility>

namespace openvpc::model {

Result<std::string> create_account(Region& region, IdSource& ids, std::string_view name,
                                   bool admin) {
  if (name.empty() || name.size() > 64) {
    return make_error("InvalidParameterValue", "An account name has 1 to 64 characters");
  }
  for (const auto& [id, account] : std::as_const(region.accounts)) {
    if (account.name == name) {
      return make_error("InvalidParameterValue", "Account '" + std::string(name) + "' exists");
    }
  }
  std::string id;
  do {
    id = ids.digits(12);
  } while (region.accounts.contains(id));
  region.accounts[id] = Account{id, std::string(name), admin};
  return id;
}

Result<AccessKey> create_access_key(Region& region, IdSource& ids, const std::string& account_id) {
  if (!region.accounts.contains(account_id)) {
    return make_error("InvalidParameterValue", "No account " + account_id);
  }
  AccessKey key;
  do {
    std::string suffix = ids.base62(16);
    std::transform(suffix.begin(), suffix.end(), suffix.begin(), ::toupper);
    key.access_key_id = "AKIA" + suffix;
  } while (region.access_keys.contains(key.access_key_id));
  key.secret_access_key = ids.base62(40);
  key.account_id = account_id;
  region.access_keys[key.access_key_id] = key;
  return key;
}

std::optional<Account> admin_account(const Region& region) {
  for (const auto& [id, account] : std::as_const(region.accounts)) {
    if (account.admin) return account;
  }
  return std::nullopt;
}

}  // namespace openvpc::model
