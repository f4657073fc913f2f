#include "backends/libsecret_backend.h"

#include <gio/gio.h>
#include <libsecret/secret.h>

#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cargo_credential/error.h"
#include "cargo_credential/secret.h"

namespace credcache {
namespace {

using cargo_credential::ActionKind;
using cargo_credential::CredentialResponse;

// cargo's schema, with `flags`: its name and one string attribute, `url`.
// Everything else, the end of the attribute list and the <private> reserved
// fields, stays zero, as libsecret asks. It is filled in field by field
// because an aggregate initializer that leaves the reserved fields out is
// warned about (-Wmissing-field-initializers), and naming them here would tie
// this file to the layout of a private part of libsecret's header.
SecretSchema MakeCargoSchema(SecretSchemaFlags flags) {
  SecretSchema schema{};
  schema.name = "org.rust-lang.cargo.registry";
  schema.flags = flags;
  schema.attributes[0].name = "url";
  schema.attributes[0].type = SECRET_SCHEMA_ATTRIBUTE_STRING;
  return schema;
}

// For storing: items carry cargo's schema name.
const SecretSchema* CargoSchema() {
  static const SecretSchema schema = MakeCargoSchema(SECRET_SCHEMA_NONE);
  return &schema;
}

// For looking up and clearing: matching on `url` alone (DONT_MATCH_NAME)
// also finds items stored without the schema name, such as by `secret-tool
// store`.
const SecretSchema* LookupSchema() {
  static const SecretSchema schema = MakeCargoSchema(SECRET_SCHEMA_DONT_MATCH_NAME);
  return &schema;
}

// Owns a GError and turns it into the right protocol error.
class Error {
 public:
  ~Error() {
    if (error_ != nullptr) g_error_free(error_);
  }
  GError** out() { return &error_; }
  bool failed() const { return error_ != nullptr; }

  // No service, or a locked one, lets the next backend try; anything else
  // is this backend's failure.
  absl::Status ToStatus(absl::string_view doing) const {
    const std::string message = error_->message != nullptr ? error_->message : "unknown error";
    const bool unavailable = error_->domain == G_DBUS_ERROR || error_->domain == G_IO_ERROR ||
                             g_error_matches(error_, SECRET_ERROR, SECRET_ERROR_IS_LOCKED) ||
                             g_error_matches(error_, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT);
    if (unavailable) {
      return cargo_credential::UrlNotSupportedError(
          absl::StrCat("the Secret Service is not available: ", message));
    }
    return cargo_credential::OtherError(absl::StrCat("Secret Service: cannot ", doing), {message});
  }

 private:
  GError* error_ = nullptr;
};

// Whether the collection new items go to is locked. A lookup in a locked
// collection finds nothing, without an error, once unlocking failed (no
// prompter on a headless box), so "not found" alone would be a lie.
bool DefaultCollectionLocked() {
  Error error;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, error.out());
  if (error.failed()) return false;
  SecretCollection* collection = secret_collection_for_alias_sync(
      service, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr, error.out());
  const bool locked =
      !error.failed() && collection != nullptr && secret_collection_get_locked(collection);
  if (collection != nullptr) g_object_unref(collection);
  g_object_unref(service);
  return locked;
}

absl::Status LockedError() {
  return cargo_credential::UrlNotSupportedError(
      "the keyring's default collection is locked; unlock it (log in to the desktop, or "
      "`gnome-keyring-daemon --unlock` with its password on stdin)");
}

// How long a watch waits before it connects again to a bus that closed.
constexpr guint kReconnectSeconds = 5;
// How long the round trip that puts a subscription in force may take.
constexpr gint kBusTimeoutMs = 5000;

// The Secret Service's signals, on a connection of the watch's own (not
// libsecret's shared one, whose closing would end the process), dispatched
// to a GLib main context the watch's thread runs.
class KeyringWatch : public StoreWatch {
 public:
  static absl::StatusOr<std::unique_ptr<StoreWatch>> Start(StoreChanged changed) {
    std::unique_ptr<KeyringWatch> watch(new KeyringWatch(std::move(changed)));
    // Connected here, with the watch's context as this thread's default,
    // so that the connection's signals go to that context; then the
    // thread takes the context over.
    g_main_context_push_thread_default(watch->context_);
    GError* error = nullptr;
    const bool connected = watch->Connect(&error);
    g_main_context_pop_thread_default(watch->context_);
    if (!connected) {
      absl::Status why = absl::UnavailableError(absl::StrCat(
          "no D-Bus session bus: ", error != nullptr ? error->message : "unknown error"));
      if (error != nullptr) g_error_free(error);
      return why;
    }
    KeyringWatch* raw = watch.get();
    watch->thread_ = std::thread([raw] {
      g_main_context_push_thread_default(raw->context_);
      g_main_loop_run(raw->loop_);
      g_main_context_pop_thread_default(raw->context_);
    });
    return watch;
  }

  ~KeyringWatch() override {
    if (thread_.joinable()) {
      // Quit from within the loop: a quit before the thread's
      // g_main_loop_run began would be forgotten by it.
      GSource* quit = g_idle_source_new();
      g_source_set_callback(
          quit,
          [](gpointer loop) -> gboolean {
            g_main_loop_quit(static_cast<GMainLoop*>(loop));
            return G_SOURCE_REMOVE;
          },
          loop_, nullptr);
      g_source_attach(quit, context_);
      g_source_unref(quit);
      thread_.join();
    }
    if (retry_ != nullptr) {
      g_source_destroy(retry_);
      g_source_unref(retry_);
    }
    Disconnect();
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }

 private:
  explicit KeyringWatch(StoreChanged changed)
      : changed_(std::move(changed)),
        context_(g_main_context_new()),
        loop_(g_main_loop_new(context_, FALSE)) {}

  // Connects to the session bus and subscribes, on the thread whose default
  // context is context_; the subscriptions are in force once it returns.
  bool Connect(GError** error) {
    gchar* address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, nullptr, error);
    if (address == nullptr) return false;
    connection_ = g_dbus_connection_new_for_address_sync(
        address,
        static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
        nullptr, nullptr, error);
    g_free(address);
    if (connection_ == nullptr) return false;
    g_dbus_connection_set_exit_on_close(connection_, FALSE);
    // Items created, changed or deleted, by anyone, in any collection.
    Subscribe("org.freedesktop.secrets", "org.freedesktop.Secret.Collection", nullptr, nullptr);
    // Collections made or removed (items come and go with them).
    Subscribe("org.freedesktop.secrets", "org.freedesktop.Secret.Service", nullptr, nullptr);
    // The service started, stopped or replaced: what it holds is unknown.
    Subscribe("org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
              "org.freedesktop.secrets");
    closed_handler_ =
        g_signal_connect(connection_, "closed", G_CALLBACK(&KeyringWatch::OnClosed), this);
    // The bus handles a connection's messages in order: once it answered
    // this, it has the subscriptions' match rules.
    GVariant* reply =
        g_dbus_connection_call_sync(connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "GetId", nullptr, G_VARIANT_TYPE("(s)"),
                                    G_DBUS_CALL_FLAGS_NONE, kBusTimeoutMs, nullptr, error);
    if (reply == nullptr) {
      Disconnect();
      return false;
    }
    g_variant_unref(reply);
    return true;
  }

  void Subscribe(const char* sender, const char* interface, const char* member, const char* arg0) {
    subscriptions_.push_back(g_dbus_connection_signal_subscribe(
        connection_, sender, interface, member, nullptr, arg0, G_DBUS_SIGNAL_FLAGS_NONE,
        &KeyringWatch::OnSignal, this, nullptr));
  }

  void Disconnect() {
    if (connection_ == nullptr) return;
    for (const guint id : subscriptions_) g_dbus_connection_signal_unsubscribe(connection_, id);
    subscriptions_.clear();
    if (closed_handler_ != 0) g_signal_handler_disconnect(connection_, closed_handler_);
    closed_handler_ = 0;
    g_dbus_connection_close_sync(connection_, nullptr, nullptr);
    g_object_unref(connection_);
    connection_ = nullptr;
  }

  static void OnSignal(GDBusConnection* connection, const gchar* sender, const gchar* path,
                       const gchar* interface, const gchar* member, GVariant* parameters,
                       gpointer self) {
    // The signals name an item, not its registry: possibly any changed.
    static_cast<KeyringWatch*>(self)->changed_(std::nullopt);
  }

  // On the watch's thread: the bus went away. Whatever changed meanwhile
  // is unknown; connect again later.
  static void OnClosed(GDBusConnection* connection, gboolean remote_peer_vanished, GError* error,
                       gpointer self) {
    KeyringWatch* watch = static_cast<KeyringWatch*>(self);
    watch->changed_(std::nullopt);
    // Not here: the connection is in the middle of telling this.
    GSource* later = g_idle_source_new();
    g_source_set_callback(
        later,
        [](gpointer self) -> gboolean {
          KeyringWatch* watch = static_cast<KeyringWatch*>(self);
          watch->Disconnect();
          watch->retry_ = g_timeout_source_new_seconds(kReconnectSeconds);
          g_source_set_callback(watch->retry_, &KeyringWatch::Retry, watch, nullptr);
          g_source_attach(watch->retry_, watch->context_);
          return G_SOURCE_REMOVE;
        },
        watch, nullptr);
    g_source_attach(later, watch->context_);
    g_source_unref(later);
  }

  static gboolean Retry(gpointer self) {
    KeyringWatch* watch = static_cast<KeyringWatch*>(self);
    if (!watch->Connect(nullptr)) return G_SOURCE_CONTINUE;
    g_source_unref(watch->retry_);
    watch->retry_ = nullptr;
    watch->changed_(std::nullopt);  // Whatever happened while it was away.
    return G_SOURCE_REMOVE;
  }

  const StoreChanged changed_;
  GMainContext* const context_;
  GMainLoop* const loop_;
  // From Start() on, used on the watch's thread only, and by the
  // destructor once that thread ended.
  GDBusConnection* connection_ = nullptr;
  std::vector<guint> subscriptions_;
  gulong closed_handler_ = 0;
  GSource* retry_ = nullptr;  // While the bus is away.
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StoreWatch>> LibsecretBackend::Watch(StoreChanged changed) {
  return KeyringWatch::Start(std::move(changed));
}

absl::StatusOr<CredentialResponse> LibsecretBackend::Perform(
    const cargo_credential::RegistryInfo& registry, const cargo_credential::Action& action,
    const std::vector<std::string>& args) {
  const char* url = registry.index_url.c_str();
  Error error;
  switch (action.kind) {
    case ActionKind::kGet: {
      gchar* token =
          secret_password_lookup_sync(LookupSchema(), nullptr, error.out(), "url", url, nullptr);
      if (error.failed()) return error.ToStatus("look up the token");
      if (token == nullptr) {
        return DefaultCollectionLocked() ? LockedError() : cargo_credential::NotFoundError();
      }
      cargo_credential::Secret secret{absl::string_view(token)};
      secret_password_free(token);  // Wipes it.
      return CredentialResponse::Get(std::move(secret), cargo_credential::CacheControl::Session(),
                                     /*operation_independent=*/true);
    }
    case ActionKind::kLogin: {
      if (!action.login.token.has_value()) {
        return cargo_credential::OtherError("a login needs a token");
      }
      const std::string label =
          absl::StrCat("cargo-registry:", registry.name.value_or(registry.index_url));
      secret_password_store_sync(CargoSchema(), SECRET_COLLECTION_DEFAULT, label.c_str(),
                                 action.login.token->Expose().c_str(), nullptr, error.out(), "url",
                                 url, nullptr);
      if (error.failed()) {
        return DefaultCollectionLocked() ? LockedError() : error.ToStatus("store the token");
      }
      return CredentialResponse::Login();
    }
    case ActionKind::kLogout: {
      const gboolean removed =
          secret_password_clear_sync(LookupSchema(), nullptr, error.out(), "url", url, nullptr);
      if (error.failed()) return error.ToStatus("erase the token");
      if (!removed) {
        return DefaultCollectionLocked() ? LockedError() : cargo_credential::NotFoundError();
      }
      return CredentialResponse::Logout();
    }
    case ActionKind::kUnknown:
      break;
  }
  return cargo_credential::OperationNotSupportedError();
}

absl::StatusOr<std::unique_ptr<cargo_credential::Credential>> MakeLibsecretBackend(
    const BackendOptions& options) {
  return std::unique_ptr<cargo_credential::Credential>(new LibsecretBackend());
}

absl::Status ProbeSecretService() {
  Error error;
  SecretService* service = secret_service_get_sync(SECRET_SERVICE_NONE, nullptr, error.out());
  if (error.failed()) return error.ToStatus("connect");
  g_object_unref(service);
  return absl::OkStatus();
}

}  // namespace credcache
