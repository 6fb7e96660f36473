"""Credentials for a Flower deployment: a CA, the SuperLink's TLS certificate (signed by it, for the given host
names / IPs), and an EC key pair per SuperNode (OpenSSH format, for SuperNode authentication). For tests and
first trials; a studio network should use its own PKI.

    python -m fed.deploy_keys OUT_DIR --supernodes 2 [--host 127.0.0.1 --host superlink.example.com]
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_private(path: Path, key, fmt=serialization.PrivateFormat.TraditionalOpenSSL) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()))
    path.chmod(0o600)


def make_credentials(out: Path, supernodes: int, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                     days: int = 365) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name("usr federation CA")).issuer_name(_name("usr federation CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca.subject)
              .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=days))
              .add_extension(x509.SubjectAlternativeName(names), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = {"ca": out / "ca.crt", "server_cert": out / "server.pem", "server_key": out / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["server_cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    _write_private(paths["server_key"], server_key)
    for k in range(supernodes):
        key = ec.generate_private_key(ec.SECP384R1())
        private, public = out / f"supernode_{k}", out / f"supernode_{k}.pub"
        _write_private(private, key, serialization.PrivateFormat.OpenSSH)
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
        paths[f"supernode_{k}"], paths[f"supernode_{k}_pub"] = private, public
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--supernodes", type=int, default=2)
    ap.add_argument("--host", action="append", default=None)
    args = ap.parse_args()
    for name, path in make_credentials(args.out, args.supernodes, tuple(args.host or ("127.0.0.1", "localhost"))).items():
        print(f"{name:16s} {path}")


if __name__ == "__main__":
    main()
