/**
 * Scheduler names and scheduler flags as ipvsadm spells them (ipvsadm.c parse_sched_flags and
 * print_sched_flags). Shared by the rule model (validation, -S) and the schedulers themselves.
 */

/** Every scheduler name ulvs accepts for -s, in ipvsadm's man-page order (twos: Linux >= 6.4). */
export const SCHEDULER_NAMES = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'] as const;

/** A scheduler name as ipvsadm spells it. */
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** ipvsadm's default scheduler (DEF_SCHED). */
export const DEFAULT_SCHEDULER: SchedulerName = 'wlc';

/** IP_VS_SVC_F_SCHED1: sh-fallback / mh-fallback / flag-1. */
export const SVC_F_SCHED1 = 0x08;
/** IP_VS_SVC_F_SCHED2: sh-port / mh-port / flag-2. */
export const SVC_F_SCHED2 = 0x10;
/** IP_VS_SVC_F_SCHED3: flag-3. */
export const SVC_F_SCHED3 = 0x20;

/** The scheduler flag names ipvsadm accepts for -b, with their IP_VS_SVC_F_SCHED* bit. */
export const SCHED_FLAG_BITS: Readonly<Record<string, number>> = Object.freeze({
  'flag-1': SVC_F_SCHED1,
  'flag-2': SVC_F_SCHED2,
  'flag-3': SVC_F_SCHED3,
  'sh-fallback': SVC_F_SCHED1,
  'sh-port': SVC_F_SCHED2,
  'mh-fallback': SVC_F_SCHED1,
  'mh-port': SVC_F_SCHED2,
});

/** True when `name` is a scheduler ulvs implements. */
export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/**
 * Checks -b flags as parse_sched_flags does (scheduler defaults to wlc): null when valid, else
 * ipvsadm's message ("invalid scheduler flag `x'" or "incompatible scheduler flag `x'").
 */
export function checkSchedFlags(scheduler: string | undefined, flags: readonly string[]): string | null {
  const sched = scheduler ? scheduler : DEFAULT_SCHEDULER;
  for (const f of flags) {
    if (!Object.hasOwn(SCHED_FLAG_BITS, f)) return `invalid scheduler flag \`${f}'`;
    const owner = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : undefined;
    if (owner && sched !== owner) return `incompatible scheduler flag \`${f}'`;
  }
  return null;
}

/** The IP_VS_SVC_F_SCHED* bits of a flag list (unknown names are ignored). */
export function schedFlagBits(flags: readonly string[]): number {
  let bits = 0;
  for (const f of flags) bits |= SCHED_FLAG_BITS[f] ?? 0;
  return bits;
}

/**
 * print_sched_flags: the names ipvsadm prints for a bit set. For sh and mh only their own two
 * flags are shown (SCHED3 is not printed); other schedulers show flag-1..flag-3.
 */
export function schedFlagNames(scheduler: string, bits: number): string[] {
  const out: string[] = [];
  if (scheduler === 'sh' || scheduler === 'mh') {
    if (bits & SVC_F_SCHED1) out.push(`${scheduler}-fallback`);
    if (bits & SVC_F_SCHED2) out.push(`${scheduler}-port`);
  } else {
    if (bits & SVC_F_SCHED1) out.push('flag-1');
    if (bits & SVC_F_SCHED2) out.push('flag-2');
    if (bits & SVC_F_SCHED3) out.push('flag-3');
  }
  return out;
}
