// Reads a Content-Security-Policy string into its directives, and lists what makes it weaker than
// CredHop's rules (DESIGN.md, security): nothing by default, no eval, no inline code, no remote or
// wildcard sources, no plugins, no <base>, no framing.

export type Directives = Map<string, string[]>;

export function parseCsp(policy: string): Directives {
  const directives: Directives = new Map();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/).filter((s) => s !== '');
    if (!name) continue;
    if (directives.has(name.toLowerCase())) throw new Error(`directive ${name} appears twice`);
    directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** Each way the policy breaks the rules, in words; empty when it keeps them all. */
export function cspProblems(policy: string): string[] {
  const problems: string[] = [];
  const d = parseCsp(policy);
  const expectNone = (name: string) => {
    const v = d.get(name);
    if (!v || v.length !== 1 || v[0] !== "'none'") problems.push(`${name} must be 'none' (is ${v ? v.join(' ') : 'missing'})`);
  };
  expectNone('default-src');
  expectNone('object-src');
  expectNone('base-uri');
  expectNone('frame-ancestors');
  for (const [name, sources] of d) {
    for (const source of sources) {
      const s = source.toLowerCase();
      if (s === "'unsafe-eval'" || s === "'wasm-unsafe-eval'") problems.push(`${name} allows eval (${source})`);
      if (s === "'unsafe-inline'" || s === "'unsafe-hashes'") problems.push(`${name} allows inline code (${source})`);
      if (s.includes('*')) problems.push(`${name} has a wildcard (${source})`);
      if (/^(https?|wss?|ftp):/.test(s) || /^[a-z0-9.-]+\.[a-z]{2,}(:\d+)?(\/|$)/.test(s)) problems.push(`${name} allows a remote origin (${source})`);
      if (s === 'blob:' || s === 'filesystem:') problems.push(`${name} allows ${source}`);
    }
  }
  const scripts = d.get('script-src') ?? d.get('default-src') ?? [];
  if (scripts.includes('data:')) problems.push('script-src allows data: URLs');
  return problems;
}
