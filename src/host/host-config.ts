// The `host:` block: whether to sample the host and which filesystems, disks and network
// devices to leave out. The defaults are node_exporter's, so series match its out of the box.
import { z } from 'zod';
import { regex } from '../config/fields.js';

/** node_exporter's --collector.filesystem.mount-points-exclude default. */
export const DEFAULT_FILESYSTEM_EXCLUDE_MOUNTPOINTS = '^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
/** node_exporter's --collector.filesystem.fs-types-exclude default: pseudo and read-only image filesystems. */
export const DEFAULT_FILESYSTEM_EXCLUDE_FSTYPES =
  '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$';
/** node_exporter's --collector.diskstats.device-exclude default: partitions, loop and ram devices. */
export const DEFAULT_DISK_EXCLUDE_DEVICES = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

export interface HostSettings {
  enabled: boolean;
  filesystemExcludeMountpoints: RegExp;
  filesystemExcludeFstypes: RegExp;
  diskExcludeDevices: RegExp;
  /** Absent: every network device is kept (node_exporter's upstream default). */
  networkExcludeDevices?: RegExp;
}

export const hostConfigSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    filesystem_exclude_mountpoints: regex().optional(),
    filesystem_exclude_fstypes: regex().optional(),
    disk_exclude_devices: regex().optional(),
    network_exclude_devices: regex().optional(),
  })
  .transform(
    (b): HostSettings => ({
      enabled: b.enabled ?? true,
      filesystemExcludeMountpoints: b.filesystem_exclude_mountpoints ?? new RegExp(DEFAULT_FILESYSTEM_EXCLUDE_MOUNTPOINTS),
      filesystemExcludeFstypes: b.filesystem_exclude_fstypes ?? new RegExp(DEFAULT_FILESYSTEM_EXCLUDE_FSTYPES),
      diskExcludeDevices: b.disk_exclude_devices ?? new RegExp(DEFAULT_DISK_EXCLUDE_DEVICES),
      networkExcludeDevices: b.network_exclude_devices,
    }),
  );

export function defaultHostSettings(): HostSettings {
  return hostConfigSchema.parse({});
}
