import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { Api } from "./api.js";
import { Faults } from "./faults.js";
import { GarbageCollector } from "./garbageCollector.js";
import { JobController } from "./jobController.js";
import { Kubelet } from "./kubelet.js";
import { kubeconfigYaml } from "./kubeconfig.js";
import type { ConfigMap, Job, Pod } from "./objects.js";
import type { ImageConfig } from "./podRun.js";
import { Scratch } from "./scratch.js";
import { startServer, type RecordedRequest } from "./server.js";
import { Store } from "./store.js";
import { selfSignedCertificate } from "./tls.js";

export type { FaultMatch, Faults } from "./faults.js";
export type { ImageConfig } from "./podRun.js";
export type { RecordedRequest } from "./server.js";
export type { ConfigMap, Job, Pod } from "./objects.js";

export interface FakeKubernetesOptions {
  /** The one namespace that exists; default "moneypenny". */
  namespace?: string;
  /** Serve HTTPS with a self-signed certificate generated at start (needs the openssl command). */
  tls?: boolean;
  /** What each image runs when a container has no command: its ENTRYPOINT (and CMD). */
  images?: Record<string, ImageConfig>;
}

/** Where client-node's loadFromCluster() looks, below a prefix: it takes the prefix as its argument. */
const serviceAccountDir = "var/run/secrets/kubernetes.io/serviceaccount";

interface Parts {
  url: string;
  namespace: string;
  token: string;
  tokenPath: string;
  caCertPath: string | undefined;
  inClusterPathPrefix: string;
  faults: Faults;
  requests: RecordedRequest[];
  server: Server;
  store: Store;
  kubelet: Kubelet;
  controller: JobController;
  gc: GarbageCollector;
  scratch: Scratch;
}

/**
 * A fake Kubernetes API server with a fake node, for testing code that runs
 * batch/v1 Jobs through @kubernetes/client-node: real REST paths, real object
 * shapes and Status errors, watches with resourceVersions, garbage collection
 * by owner references, and pods whose containers run as local processes (see
 * podRun.ts for how images, volumes and paths are mapped).
 */
export class FakeKubernetes {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly namespace: string;
  /** The bearer token the server accepts; any other request is answered 401. */
  readonly token: string;
  /** A file holding the token (no newline), as a service account's token file. */
  readonly tokenPath: string;
  /** With tls: the certificate to trust (self-signed, for 127.0.0.1). */
  readonly caCertPath: string | undefined;
  /**
   * With tls: the prefix to give `kc.loadFromCluster(prefix)`, below which
   * var/run/secrets/kubernetes.io/serviceaccount/{ca.crt,token,namespace} are
   * laid out. loadFromCluster() reads the server's address from the
   * environment; see inClusterEnv.
   */
  readonly inClusterPathPrefix: string;
  /** Every request received, in order, for assertions. */
  readonly requests: RecordedRequest[];
  readonly faults: Faults;
  readonly #parts: Parts;
  #stopped: Promise<void> | undefined;

  private constructor(parts: Parts) {
    this.#parts = parts;
    ({ url: this.url, namespace: this.namespace, token: this.token, tokenPath: this.tokenPath, caCertPath: this.caCertPath } = parts);
    ({ inClusterPathPrefix: this.inClusterPathPrefix, requests: this.requests, faults: this.faults } = parts);
  }

  static async start(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
    const namespace = options.namespace ?? "moneypenny";
    const scratch = await Scratch.create();
    try {
      const token = randomBytes(24).toString("hex");
      const certificate = options.tls ? await selfSignedCertificate(await scratch.newDir("tls")) : undefined;
      const inClusterPathPrefix = path.join(scratch.root, "in-cluster");
      const accountDir = path.join(inClusterPathPrefix, serviceAccountDir);
      await mkdir(accountDir, { recursive: true });
      const tokenPath = path.join(accountDir, "token");
      await writeFile(tokenPath, token);
      await writeFile(path.join(accountDir, "namespace"), namespace);
      let caCertPath: string | undefined;
      if (certificate) {
        caCertPath = path.join(accountDir, "ca.crt");
        await writeFile(caCertPath, await readFile(certificate.certPath));
      }

      const store = new Store();
      const faults = new Faults();
      const requests: RecordedRequest[] = [];
      const kubelet = new Kubelet({ store, scratch, faults, images: options.images ?? {} });
      const gc = new GarbageCollector(store, kubelet);
      // The TTL-after-finished controller deletes with Foreground propagation.
      const controller = new JobController(store, kubelet, (ns, name) => gc.delete("jobs", ns, name, "Foreground"));
      const api = new Api(store, kubelet, gc, namespace);
      const tls = certificate && { key: await readFile(certificate.keyPath, "utf8"), cert: await readFile(certificate.certPath, "utf8") };
      const { server, url } = await startServer({ api, store, faults, token, requests }, tls);
      return new FakeKubernetes({ url, namespace, token, tokenPath, caCertPath, inClusterPathPrefix, faults, requests, server, store, kubelet, controller, gc, scratch });
    } catch (error) {
      await scratch.remove();
      throw error;
    }
  }

  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, as a pod's environment has them, for loadFromCluster(). */
  get inClusterEnv(): { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } {
    const { hostname, port } = new URL(this.url);
    return { KUBERNETES_SERVICE_HOST: hostname, KUBERNETES_SERVICE_PORT: port };
  }

  kubeconfigYaml(): string {
    return kubeconfigYaml(this);
  }

  /** Writes `kubeconfig` into dir and returns its path. */
  async writeKubeconfig(dir: string): Promise<string> {
    const file = path.join(dir, "kubeconfig");
    await writeFile(file, this.kubeconfigYaml());
    return file;
  }

  /** A KubeConfig loaded from the kubeconfig (token user, current context in the fake's namespace). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml());
    return kc;
  }

  /**
   * A KubeConfig loaded the in-cluster way, by client-node's own
   * loadFromCluster(inClusterPathPrefix), with inClusterEnv set in
   * process.env only for the duration of the (synchronous) call. TLS only:
   * loadFromCluster() assumes https on any port but 80, 8080 and 8001.
   */
  inClusterKubeConfig(): KubeConfig {
    if (!this.caCertPath) throw new Error("FakeKubernetes: in-cluster configuration needs tls: true");
    const saved = { host: process.env["KUBERNETES_SERVICE_HOST"], port: process.env["KUBERNETES_SERVICE_PORT"] };
    const kc = new KubeConfig();
    try {
      Object.assign(process.env, this.inClusterEnv);
      kc.loadFromCluster(this.inClusterPathPrefix);
    } finally {
      restore("KUBERNETES_SERVICE_HOST", saved.host);
      restore("KUBERNETES_SERVICE_PORT", saved.port);
    }
    return kc;
  }

  /** The Jobs in the namespace now (copies). */
  jobs(): Job[] {
    return this.#parts.store.list("jobs", this.namespace);
  }

  configMaps(): ConfigMap[] {
    return this.#parts.store.list("configmaps", this.namespace);
  }

  pods(): Pod[] {
    return this.#parts.store.list("pods", this.namespace);
  }

  /** The host directory standing for a volume that is neither hostPath, configMap nor emptyDir (nfs, persistentVolumeClaim, ...), shared by all pods. */
  volumeDir(volumeName: string): string {
    return this.#parts.scratch.volumeDir(volumeName);
  }

  /** Kills every container process, closes the server (and its watches) and removes the temporary files. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      const { controller, gc, kubelet, server, scratch } = this.#parts;
      controller.stop();
      gc.stop();
      await kubelet.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await scratch.remove();
    })();
    return this.#stopped;
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
