#include "common/curve.hpp"

#include "common/fd.hpp"
#include "common/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rpclb {
namespace {

constexpr std::size_t kZ85KeyLength = 40;

bool is_z85_key(const std::string& text) {
  if (text.size() != kZ85KeyLength) return false;
  std::uint8_t decoded[32];
  return zmq_z85_decode(decoded, text.c_str()) != nullptr;
}

// "name=value" lines; # comments and blank lines ignored.
Result<std::string> read_field(const std::string& path, std::string_view field) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::bad_request, "cannot read key file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string contents = text.str();
  for (Lines lines(contents); lines.next();) {
    const auto line = lines.line();
    if (!line.starts_with(field) || line.size() <= field.size() || line[field.size()] != '=') continue;
    const std::string value(trim(line.substr(field.size() + 1)));
    if (!is_z85_key(value)) {
      return make_error(ErrorCode::bad_request, "key file " + path + ": " + std::string(field) + " is not a Z85 key");
    }
    return value;
  }
  return make_error(ErrorCode::bad_request, "key file " + path + " has no " + std::string(field) + "= line");
}

Status write_file(const std::string& path, const std::string& text, mode_t mode) {
  const Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (file.get() < 0) return make_error(ErrorCode::bad_request, "cannot create " + path + ": " + std::strerror(errno));
  const auto written = ::write(file.get(), text.data(), text.size());
  if (written != static_cast<ssize_t>(text.size())) return make_error(ErrorCode::internal, "short write to " + path);
  return {};
}

// The mode bits a secret key file must not have. A systemd credential
// (LoadCredential=, in $CREDENTIALS_DIRECTORY) is readable by its service's
// user alone; for a DynamicUser= service systemd grants that user access
// with an ACL, whose mask shows as group bits, so there only others' bits
// count.
mode_t forbidden_key_bits(const std::string& path) {
  const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
  if (credentials == nullptr || *credentials == '\0') return 077;
  std::error_code error;
  const auto folder = std::filesystem::weakly_canonical(std::filesystem::path(path), error).parent_path();
  if (error) return 077;
  const auto granted = std::filesystem::weakly_canonical(std::filesystem::path(credentials), error);
  return !error && folder == granted ? 007 : 077;
}

}  // namespace

Result<Keypair> generate_keypair() {
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return make_error(ErrorCode::internal, "this libzmq was built without CURVE support");
  }
  return Keypair{public_key, secret_key};
}

Status write_keypair(const std::string& prefix, const Keypair& keys) {
  const std::string header = "# rpclb CURVE key, made by `rpclb keygen`\n";
  if (auto status = write_file(
          prefix + ".key",
          header + "# secret: keep it private\npublic=" + keys.public_key + "\nsecret=" + keys.secret_key + "\n", 0600);
      !status) {
    return status;
  }
  return write_file(prefix + ".pub", header + "public=" + keys.public_key + "\n", 0644);
}

Result<Keypair> load_keypair(const std::string& path) {
  // As ssh does: a secret others can read is no longer a secret.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & forbidden_key_bits(path)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return make_error(ErrorCode::bad_request, "secret key file " + path + " is readable by group or others (mode " +
                                                  mode + "): chmod 600 " + path);
  }
  auto public_key = read_field(path, "public");
  if (!public_key) return public_key.error();
  auto secret_key = read_field(path, "secret");
  if (!secret_key) return secret_key.error();
  // A mismatched pair would only show later, as a silent failure to join.
  char derived[41] = {};
  if (zmq_curve_public(derived, secret_key->c_str()) != 0 || *public_key != derived) {
    return make_error(ErrorCode::bad_request,
                      "key file " + path + ": its public key does not belong to its secret key");
  }
  return Keypair{*public_key, *secret_key};
}

Result<std::string> load_public_key(const std::string& path) {
  return read_field(path, "public");
}

Result<std::set<std::string>> load_authorized_keys(const std::string& folder) {
  std::error_code error;
  std::set<std::string> keys;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.path().extension() != ".pub") continue;
    auto key = load_public_key(entry.path().string());
    if (!key) return key.error();
    keys.insert(*key);
  }
  if (error) return make_error(ErrorCode::bad_request, "cannot read authorised-keys folder " + folder);
  return keys;
}

void make_curve_server(zmq::socket_t& socket, const CurveConfig& curve, std::string_view domain) {
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, curve.own.secret_key);
  // libzmq consults the ZAP handler for every handshake, naming this domain.
  socket.set(zmq::sockopt::zap_domain, std::string(domain));
}

void make_curve_client(zmq::socket_t& socket, const CurveConfig& curve) {
  socket.set(zmq::sockopt::curve_serverkey, curve.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, curve.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, curve.own.secret_key);
}

Result<std::optional<CurveConfig>> load_client_curve(const std::string& secret_file, const std::string& server_key_file,
                                                     std::string_view what) {
  if (secret_file.empty() && server_key_file.empty()) return std::optional<CurveConfig>{};
  if (secret_file.empty() || server_key_file.empty()) {
    return make_error(ErrorCode::bad_request, std::string(what) + " go together");
  }
  auto own = load_keypair(secret_file);
  if (!own) return own.error();
  auto server = load_public_key(server_key_file);
  if (!server) return server.error();
  return std::optional<CurveConfig>{CurveConfig{*own, *server, {}}};
}

Result<std::optional<CurveConfig>> load_server_curve(const std::string& secret_file, const std::string& authorized_dir,
                                                     std::string_view what) {
  if (secret_file.empty() && authorized_dir.empty()) return std::optional<CurveConfig>{};
  if (secret_file.empty() || authorized_dir.empty()) {
    return make_error(ErrorCode::bad_request, std::string(what) + " go together");
  }
  auto own = load_keypair(secret_file);
  if (!own) return own.error();
  auto allowed = load_authorized_keys(authorized_dir);
  if (!allowed) return allowed.error();
  return std::optional<CurveConfig>{CurveConfig{*own, own->public_key, *allowed}};
}

}  // namespace rpclb
