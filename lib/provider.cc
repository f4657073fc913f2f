#include "cargo_credential/provider.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "cargo_credential/console.h"
#include "cargo_credential/error.h"
#include "cargo_credential/line_io.h"
#include "lib/hardening.h"

namespace cargo_credential {
namespace {

// A response of another kind than the request would make cargo fail with
// "unexpected response"; catch the provider's bug here with a clearer text.
bool Matches(const Action& action, const CredentialResponse& response) {
  switch (action.kind) {
    case ActionKind::kGet:
      return response.kind == ResponseKind::kGet;
    case ActionKind::kLogin:
      return response.kind == ResponseKind::kLogin;
    case ActionKind::kLogout:
      return response.kind == ResponseKind::kLogout;
    case ActionKind::kUnknown:
      return false;
  }
  return false;
}

// A private, close-on-exec copy of `fd`, so children of the provider never
// hold cargo's pipes and stdio can be pointed elsewhere.
absl::StatusOr<int> Duplicate(int fd) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) {
    return absl::InternalError(absl::StrCat("dup of fd ", fd, ": ", strerror(errno)));
  }
  return copy;
}

void Usage(const char* program, const char* description) {
  fprintf(stderr,
          "%s is %s: Cargo runs it, and it speaks Cargo's credential\n"
          "provider protocol on stdin and stdout when given --cargo-plugin.\n"
          "Configure it in ~/.cargo/config.toml, for example:\n"
          "  [registry]\n"
          "  global-credential-providers = [\"%s\"]\n",
          program, description, program);
}

}  // namespace

absl::StatusOr<CredentialResponse> UnsupportedCredential::Perform(const RegistryInfo&,
                                                                  const Action&,
                                                                  const std::vector<std::string>&) {
  return UrlNotSupportedError();
}

absl::StatusOr<CredentialResponse> Answer(Credential& credential, absl::string_view request_line) {
  absl::StatusOr<CredentialRequest> request = ParseRequest(request_line);
  if (!request.ok()) {
    return OtherError("invalid credential request", {std::string(request.status().message())});
  }
  if (request->v != kProtocolVersion1) {
    return OtherError(absl::StrCat("unsupported protocol version ", request->v));
  }
  absl::StatusOr<CredentialResponse> response =
      credential.Perform(request->registry, request->action, request->args);
  if (response.ok() && !Matches(request->action, *response)) {
    return OtherError(absl::StrCat("provider answered a `",
                                   std::string(ActionKindName(request->action.kind)),
                                   "` request with a response of another kind"));
  }
  return response;
}

absl::Status Serve(Credential& credential, int in_fd, int out_fd) {
  absl::Status status = WriteLine(out_fd, SerializeHello(CredentialHello()));
  if (!status.ok()) return status;
  LineReader reader(in_fd, kMaxRequestLine);
  while (true) {
    absl::StatusOr<std::optional<std::string>> line = reader.Next();
    absl::StatusOr<CredentialResponse> response;
    if (line.ok()) {
      if (!line->has_value()) return absl::OkStatus();  // EOF: cargo is done.
      response = Answer(credential, **line);
      WipeString(**line);
    } else if (absl::IsResourceExhausted(line.status())) {
      response = OtherError("invalid credential request", {std::string(line.status().message())});
    } else {
      return line.status();
    }
    std::string answer = SerializeResult(response);
    status = WriteLine(out_fd, answer);
    WipeString(answer);
    if (!status.ok()) return status;
  }
}

int RunProvider(Credential& credential, int argc, char** argv, const char* program_description) {
  const char* program = argc > 0 ? argv[0] : "provider";
  if (argc < 2 || strcmp(argv[1], "--cargo-plugin") != 0) {
    Usage(program, program_description);
    return 2;
  }
  absl::Status hardened = HardenProcess();
  if (!hardened.ok()) {
    fprintf(stderr, "%s: warning: %s\n", program, std::string(hardened.message()).c_str());
  }
  absl::StatusOr<int> in = Duplicate(STDIN_FILENO);
  absl::StatusOr<int> out = Duplicate(STDOUT_FILENO);
  if (!in.ok() || !out.ok()) {
    fprintf(stderr, "%s: %s\n", program,
            std::string((in.ok() ? out.status() : in.status()).message()).c_str());
    return 1;
  }
  absl::Status status = AttachStdioToConsole();
  if (status.ok()) status = Serve(credential, *in, *out);
  close(*in);
  close(*out);
  if (!status.ok()) {
    // Cargo has gone away or broke the pipe; nobody reads stdout any more.
    fprintf(stderr, "%s: %s\n", program, std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace cargo_credential
