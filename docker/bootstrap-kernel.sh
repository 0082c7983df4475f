#!/bin/sh
# The entry point of the kernel image (docker/Dockerfile) for the container provisioners of
# gateway_provisioners and Jupyter Enterprise Gateway (kubernetes-provisioner, docker-provisioner,
# docker-swarm-provisioner). Their launcher (launch_kubernetes.py, launch_docker.py) starts the
# image with the kernel's launch parameters in its environment, as gateway_provisioners'
# bootstrap-kernel.sh reads them; this script hands them to `ts-async-kernel launch`, which binds
# the kernel's ports, reports them to the gateway and serves its comm port (docs/remote.md).
#
#   KERNEL_ID           the gateway's id for the kernel                          (required)
#   RESPONSE_ADDRESS    <ip>:<port> to report to (or EG_RESPONSE_ADDRESS)        (required)
#   PUBLIC_KEY          the gateway's RSA public key, base64 (or EG_PUBLIC_KEY)  (required)
#   PORT_RANGE          <lower>..<upper> for the kernel's ports (or EG_PORT_RANGE; default 0..0: any)
#   TRANSPORT_ENCRYPTION  auto | required: CurveZMQ on every socket (empty: none)
#   KERNEL_LANGUAGE     javascript for plain JavaScript cells; anything else: TypeScript
#   TS_ASYNC_KERNEL_LOG_LEVEL, TS_ASYNC_KERNEL_*: read by the kernel itself
#   TS_ASYNC_KERNEL_CLI the command to run (default: ts-async-kernel on PATH)
set -eu

PORT_RANGE=${PORT_RANGE:-${EG_PORT_RANGE:-0..0}}
RESPONSE_ADDRESS=${RESPONSE_ADDRESS:-${EG_RESPONSE_ADDRESS:-}}
PUBLIC_KEY=${PUBLIC_KEY:-${EG_PUBLIC_KEY:-}}
TRANSPORT_ENCRYPTION=${TRANSPORT_ENCRYPTION:-}
KERNEL_ID=${KERNEL_ID:-}
KERNEL_SPARK_CONTEXT_INIT_MODE=${KERNEL_SPARK_CONTEXT_INIT_MODE:-none}

missing=""
[ -n "$KERNEL_ID" ] || missing="$missing KERNEL_ID"
[ -n "$RESPONSE_ADDRESS" ] || missing="$missing RESPONSE_ADDRESS"
[ -n "$PUBLIC_KEY" ] || missing="$missing PUBLIC_KEY"
if [ -n "$missing" ]; then
  echo "bootstrap-kernel.sh: missing environment variables:$missing (the gateway's container launcher sets them; see docs/remote.md)" >&2
  exit 1
fi
if [ "$KERNEL_SPARK_CONTEXT_INIT_MODE" != "none" ]; then
  echo "bootstrap-kernel.sh: KERNEL_SPARK_CONTEXT_INIT_MODE=$KERNEL_SPARK_CONTEXT_INIT_MODE ignored: this kernel has no Spark context" >&2
fi

case "$(printf '%s' "${KERNEL_LANGUAGE:-typescript}" | tr '[:upper:]' '[:lower:]')" in
  javascript) language=javascript ;;
  *) language=typescript ;;
esac

# The process the container runs: signals (SIGTERM on `docker stop`, pod deletion) reach the kernel.
# shellcheck disable=SC2086 # TS_ASYNC_KERNEL_CLI may be a command with arguments (node /path/main.js)
exec ${TS_ASYNC_KERNEL_CLI:-ts-async-kernel} launch \
  --kernel-id "$KERNEL_ID" \
  --port-range "$PORT_RANGE" \
  --response-address "$RESPONSE_ADDRESS" \
  --public-key "$PUBLIC_KEY" \
  --transport-encryption "$TRANSPORT_ENCRYPTION" \
  --language "$language"
