// kubeconfig files, read the way kubectl reads them.
//
// The files come from `--kubeconfig`, else the `KUBECONFIG` list (':'
// separated; the first file that names a cluster, user or context wins, and
// the first `current-context` wins), else ~/.kube/config. Relative paths in a
// file (certificate-authority, client-certificate, client-key, tokenFile, an
// exec command with a '/') are relative to that file's directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::kube {

// An exec credential plugin (users[].user.exec).
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;      // resolved against the kubeconfig's directory when it has a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
};

// Everything needed to talk to one cluster as one user. Holds secrets: never
// print a ClusterAccess.
struct ClusterAccess {
  std::string context;  // the context's name
  std::string cluster_name;
  std::string user_name;
  std::string server;  // https://host:port[/path]
  std::string namespace_name = "default";
  std::string ca_pem;  // certificate-authority(-data)
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem, client_key_pem;
  std::string token;                 // a bearer token given inline
  std::filesystem::path token_file;  // re-read when the server says 401
  std::string username, password;    // basic auth
  std::optional<ExecConfig> exec;    // a credential plugin
  // Impersonation (users[].user.as / as-groups, or set by a caller such as
  // the controller for a GantryDeployment's serviceAccountName): requests
  // carry Impersonate-User / Impersonate-Group, so the server authorises
  // them as that user.
  std::string impersonate_user;
  std::vector<std::string> impersonate_groups;
  bool in_cluster = false;                   // from the pod's service account (in_cluster_access)
  std::vector<std::filesystem::path> files;  // the kubeconfig files read
};

struct KubeconfigSelection {
  std::string kubeconfig;  // --kubeconfig (one file); empty: KUBECONFIG or ~/.kube/config
  std::string context;     // --context; empty: current-context
};

// The kubeconfig files that `sel` names, in order (missing ones in a
// KUBECONFIG list are skipped, as kubectl does; a missing --kubeconfig is an Error).
std::vector<std::filesystem::path> kubeconfig_files(const KubeconfigSelection& sel);

// Name of the context `sel` selects: sel.context, else the merged
// current-context ("" when none is set).
std::string selected_context(const KubeconfigSelection& sel);

// The pod's own access, as client-go's rest.InClusterConfig builds it:
// https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the CA in
// <dir>/ca.crt, the token in <dir>/token (a token file: the client reads it
// again every minute and after a 401, as kubelet rotates it), the namespace
// in <dir>/namespace. <dir> is /var/run/secrets/kubernetes.io/serviceaccount,
// or $GANTRY_SERVICE_ACCOUNT_DIR when set (tests). nullopt when the two
// environment variables are not set; Error when they are but the files are
// unreadable.
std::optional<ClusterAccess> in_cluster_access();

// Reads the merged kubeconfig and resolves `context_name` (cluster, user,
// namespace, files and data fields). Errors (kNotFound for an unknown
// context/cluster/user, kInvalidInput for malformed files) name the file.
// With no --kubeconfig, no KUBECONFIG and no ~/.kube/config, but inside a
// pod (in_cluster_access()), the pod's service account is used, as kubectl
// and client-go do; `context_name` must then be empty.
ClusterAccess load_cluster_access(const KubeconfigSelection& sel, const std::string& context_name);

// A kubeconfig given as data by someone other than the machine's owner (a
// Secret a GitOps resource names): only inline data is accepted. File
// references (certificate-authority, client-certificate, client-key,
// tokenFile), exec plugins and auth providers are refused with an Error,
// since they would read this machine's files or run its programs.
// `context_name` "" selects the current-context.
ClusterAccess parse_inline_cluster_access(std::string_view text, const std::string& context_name);

// The same for one kubeconfig's text, as if read from `file` (relative paths
// resolve against its directory). For tests and fuzzing.
ClusterAccess parse_cluster_access(std::string_view text, const std::filesystem::path& file,
                                   const std::string& context_name);

}  // namespace gantry::kube
