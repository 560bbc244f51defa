#include "store/store.h"

#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace bedrock::store {

core::Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  std::string_view url = options.url;
  if (url.empty()) return core::Error::InvalidArgument("store: no database given");
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto postgres = PostgresStore::Open(options);
    if (!postgres.ok()) return std::move(postgres).error();
    return std::unique_ptr<Store>(std::move(*postgres));
  }
  if (url.starts_with("sqlite:")) url.remove_prefix(7);
  if (url.starts_with("//")) url.remove_prefix(2);  // sqlite://path
  if (url.empty()) return core::Error::InvalidArgument("store: sqlite: needs a path");
  if (url.find("://") != std::string_view::npos) {
    return core::Error::InvalidArgument("store: unknown backend in \"{}\"",
                                        std::string(url.substr(0, url.find("://"))));
  }
  auto sqlite = SqliteStore::Open(std::string(url), options);
  if (!sqlite.ok()) return std::move(sqlite).error();
  return std::unique_ptr<Store>(std::move(*sqlite));
}

}  // namespace bedrock::store
