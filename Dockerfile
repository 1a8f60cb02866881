# syntax=docker/dockerfile:1
# gantry's own image, the default of `gantry install`: the gantry binary and
# exactly the shared libraries it links, on an empty base, run as the
# non-root user 65532. The context is made by scripts/image-root.sh from a
# release build; scripts/build-image.sh does both and passes its arguments on:
#   bash scripts/build-image.sh -t ghcr.io/gantry-dev/gantry:VERSION --push
# The same binary and libraries give the same image digest on any machine.
FROM scratch
COPY --link rootfs/ /
ENV PATH=/usr/bin \
    HOME=/home/gantry \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/gantry
LABEL org.opencontainers.image.title="gantry" \
      org.opencontainers.image.description="From source code to a running Kubernetes cluster, and GitOps afterwards"
ENTRYPOINT ["/usr/bin/gantry"]
CMD ["--help"]
