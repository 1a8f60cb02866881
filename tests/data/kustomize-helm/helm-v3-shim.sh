#!/bin/sh
# kubectl's kustomize (v5.5) asks `helm version -c --short` and refuses any
# helm whose major version is not 3; helm 4 has no `-c` flag. This shim
# answers that one question as a helm 3 would and runs the real helm
# ($GANTRY_REAL_HELM, helm 4 in our tests) for everything else, so that
# kubectl can serve as the reference for `helm template` / `helm pull`.
if [ "$1" = version ] && [ "$2" = -c ] && [ "$3" = --short ]; then
  echo "v3.99.0+shim"
  exit 0
fi
exec "${GANTRY_REAL_HELM:?set GANTRY_REAL_HELM to the helm binary}" "$@"
