// How long the audit log's rotated files are kept, in days, without dependencies so the renderer can
// check the field while the operator types; main checks again through the settings schema.
// At least a month (the live file rotates monthly, so less would keep next to nothing), at most ten years.
export const AUDIT_RETENTION_LIMITS = { min: 30, max: 3650, default: 365 } as const;

export function auditRetentionValid(text: string): boolean {
  return /^\d+$/.test(text.trim()) && Number(text) >= AUDIT_RETENTION_LIMITS.min && Number(text) <= AUDIT_RETENTION_LIMITS.max;
}
