#include "cluster/control_enrollment.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "cluster/certificate_authority.hpp"
#include "cluster/private_file.hpp"
#include "common/sigpipe_guard.hpp"

namespace lunatic::cluster {

Expected<TlsIdentityFiles> enroll_with_control(const StoreEndpoint& control,
                                               std::string_view join_token,
                                               std::string_view node_name,
                                               const std::filesystem::path& state_dir) {
  if (const Status named = check_node_name(node_name); !named) return named.error();
  auto key_and_csr = make_node_key_and_csr(node_name);
  if (!key_and_csr) return key_and_csr.error();

  httplib::Client client(control.host, control.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  const httplib::Headers headers{{"Authorization", "Bearer " + std::string(join_token)}};
  const nlohmann::json request{{"node_name", node_name}, {"csr_pem", key_and_csr->csr_pem}};
  SigpipeGuard sigpipe_guard;  // httplib writes without MSG_NOSIGNAL
  const auto response =
      client.Post("/lunatic/v1/sign", headers, request.dump(), "application/json");
  sigpipe_guard.finish(SigpipeGuard::kUnknownErrno);
  const std::string where = "control at " + control.text();
  if (!response) {
    return make_error(Errc::kIo, where + ": " + httplib::to_string(response.error()));
  }
  if (response->status != 200) {
    return make_error(Errc::kInvalidArgument, where + " refused to sign the certificate (HTTP " +
                                                  std::to_string(response->status) +
                                                  "): " + response->body);
  }
  TlsIdentityFiles files{(state_dir / "ca.pem").string(), (state_dir / "node.pem").string(),
                         (state_dir / "node.key").string()};
  try {
    const auto answer = nlohmann::json::parse(response->body);
    const auto certificate = answer.at("certificate_pem").get<std::string>();
    const auto ca = answer.at("ca_pem").get<std::string>();
    for (const auto& [path, bytes] :
         {std::pair{files.private_key, key_and_csr->key_pem},
          std::pair{files.certificate, certificate}, std::pair{files.ca_certificate, ca}}) {
      if (const Status dir = make_private_directory(state_dir); !dir) return dir.error();
      if (const Status written = write_private_file(path, bytes); !written) return written.error();
    }
  } catch (const std::exception& error) {
    return make_error(Errc::kInvalidArgument, where +
                                                  " answered the signing request with "
                                                  "something else than a certificate: " +
                                                  error.what());
  }
  return files;
}

}  // namespace lunatic::cluster
