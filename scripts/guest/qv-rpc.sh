#!/bin/bash
# Client of a guest's control channel (scripts/guest/qv-agent-loop.sh) whose
# port a QEMU process exposes as a TCP server on this machine: used inside
# the outer guest (L1) to run commands in a tenant VM (L2), whose second
# serial port is "-chardev socket,host=127.0.0.1,port=PORT,server=on".
# Installed in the guest image as /lib/qv-rpc.sh.
#
# Usage: qv-rpc.sh PORT B64         run the base64-encoded bash script B64
#        qv-rpc.sh PORT --quit      end the guest's command loop
# Prints the script's output; exits with its status, or 255 if the guest
# does not answer within QV_RPC_TIMEOUT seconds (default 300).
port=$1 req=$2
exec 5<>"/dev/tcp/127.0.0.1/$port" || { echo "qv-rpc: nobody serves 127.0.0.1:$port"; exit 255; }
if [ "$req" = --quit ]; then printf 'QVRPC-QUIT\n' >&5; exit 0; fi
printf '%s\n' "$req" >&5
while IFS= read -r -t "${QV_RPC_TIMEOUT:-300}" line <&5; do
    line=${line%$'\r'}
    case "$line" in
        "QVRPC-END "*) exit "${line#QVRPC-END }" ;;
    esac
    printf '%s\n' "$line"
done
echo "qv-rpc: no answer from the guest on port $port"
exit 255
