import type { V1PodTemplateSpec } from "@kubernetes/client-node";

// The Pod Security Standards, baseline level (kubernetes.io/docs/concepts/security/pod-security-standards),
// rule by rule, as an admission controller at that level checks a pod.
const ALLOWED_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
const SAFE_SYSCTLS = new Set(["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/** Every baseline violation in a pod template; empty when the pod is admitted at baseline. */
export function baselineViolations(template: V1PodTemplateSpec): string[] {
  const pod = template.spec!;
  const violations: string[] = [];
  for (const [key, value] of Object.entries(template.metadata?.annotations ?? {})) {
    if (key.startsWith("container.apparmor.security.beta.kubernetes.io/") && value !== "runtime/default" && !value.startsWith("localhost/")) {
      violations.push(`AppArmor annotation ${key}`);
    }
  }
  if (pod.securityContext?.appArmorProfile?.type === "Unconfined") violations.push("pod AppArmor Unconfined");
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) violations.push("host namespaces");
  for (const volume of pod.volumes ?? []) if (volume.hostPath !== undefined) violations.push(`hostPath volume ${volume.name}`);
  for (const sysctl of pod.securityContext?.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) violations.push(`sysctl ${sysctl.name}`);
  const podSeccomp = pod.securityContext?.seccompProfile?.type;
  if (podSeccomp === "Unconfined") violations.push("pod seccomp Unconfined");
  if (!SELINUX_TYPES.has(pod.securityContext?.seLinuxOptions?.type ?? "")) violations.push("pod SELinux type");
  if (pod.securityContext?.seLinuxOptions?.user || pod.securityContext?.seLinuxOptions?.role) violations.push("pod SELinux user/role");
  if (pod.securityContext?.windowsOptions?.hostProcess) violations.push("pod hostProcess");
  for (const c of [...(pod.initContainers ?? []), ...pod.containers, ...(pod.ephemeralContainers ?? [])]) {
    const sc = c.securityContext;
    if (sc?.privileged) violations.push(`${c.name}: privileged`);
    for (const cap of sc?.capabilities?.add ?? []) if (!ALLOWED_CAPABILITIES.has(cap)) violations.push(`${c.name}: capability ${cap}`);
    for (const port of c.ports ?? []) if (port.hostPort !== undefined && port.hostPort !== 0) violations.push(`${c.name}: hostPort`);
    if (sc?.procMount !== undefined && sc.procMount !== "Default") violations.push(`${c.name}: procMount`);
    if (sc?.seccompProfile?.type === "Unconfined") violations.push(`${c.name}: seccomp Unconfined`);
    if (!SELINUX_TYPES.has(sc?.seLinuxOptions?.type ?? "")) violations.push(`${c.name}: SELinux type`);
    if (sc?.seLinuxOptions?.user || sc?.seLinuxOptions?.role) violations.push(`${c.name}: SELinux user/role`);
    if (sc?.appArmorProfile?.type === "Unconfined") violations.push(`${c.name}: AppArmor Unconfined`);
    if (sc?.windowsOptions?.hostProcess) violations.push(`${c.name}: hostProcess`);
  }
  return violations;
}
