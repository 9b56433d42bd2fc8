#!/usr/bin/env bash
# Makes a DEVELOPMENT key pair for RAUC bundles: a CA (the image trusts it as
# /etc/rauc/keyring.pem) and a signing certificate it issued (bundle.sh signs with it).
#   kiosk-image/out/keys/ca.cert.pem      -> build.sh's default KEYRING
#   kiosk-image/out/keys/signing.cert.pem -> bundle.sh's default BUNDLE_CERT
#   kiosk-image/out/keys/signing.key.pem  -> bundle.sh's default BUNDLE_KEY
# The CA's key stays beside them (ca.key.pem) to issue more. out/ is not committed
# (.gitignore). A production build uses keys kept off the build machine instead: pass
# KEYRING to build.sh and BUNDLE_CERT/BUNDLE_KEY to bundle.sh.
#
# Usage: kiosk-image/make-keys.sh [DIR]    (default kiosk-image/out/keys; refuses to
#        overwrite existing keys: a kiosk trusts only the CA it was built with)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${OUT:-$here/out}/keys}
days=${DAYS:-3650}
if [ -e "$dir/ca.cert.pem" ]; then
  echo "$dir/ca.cert.pem exists: not overwriting (images built with it trust it)" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "missing openssl: apt-get install openssl" >&2; exit 1; }
mkdir -p "$dir"
chmod 0700 "$dir"
umask 077
cat >"$dir/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
O = Anjungan development
CN = Anjungan development bundle CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_signing]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -config "$dir/openssl.cnf" -extensions v3_ca -days "$days" \
  -keyout "$dir/ca.key.pem" -out "$dir/ca.cert.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -config "$dir/openssl.cnf" -subj "/O=Anjungan development/CN=Anjungan development bundle signing" \
  -keyout "$dir/signing.key.pem" -out "$dir/signing.csr.pem" 2>/dev/null
openssl x509 -req -in "$dir/signing.csr.pem" -CA "$dir/ca.cert.pem" -CAkey "$dir/ca.key.pem" \
  -CAcreateserial -extfile "$dir/openssl.cnf" -extensions v3_signing -days "$days" \
  -out "$dir/signing.cert.pem" 2>/dev/null
rm -f "$dir/signing.csr.pem"
chmod 0644 "$dir/ca.cert.pem" "$dir/signing.cert.pem"
openssl verify -CAfile "$dir/ca.cert.pem" "$dir/signing.cert.pem" >/dev/null
echo "development keys in $dir (CA: ca.cert.pem, signing: signing.cert.pem + signing.key.pem)"
