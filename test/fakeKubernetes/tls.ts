import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

/**
 * A self-signed certificate for 127.0.0.1, made with the openssl command: the
 * server's certificate and, since it signs itself, the CA a client trusts.
 */
export async function selfSignedCertificate(dir: string): Promise<{ certPath: string; keyPath: string }> {
  const certPath = path.join(dir, "server.crt");
  const keyPath = path.join(dir, "server.key");
  await promisify(execFile)("openssl", [
    "req", "-x509", "-nodes", "-days", "1",
    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-keyout", keyPath, "-out", certPath,
    "-subj", "/CN=fake-kubernetes",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  return { certPath, keyPath };
}
