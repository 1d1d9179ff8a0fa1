/** The parts of a verified peer certificate (Node's `PeerCertificate`) that name its holder. */
export interface NamedCertificate {
  readonly subject?: { readonly CN?: string | readonly string[] | undefined } | undefined;
  readonly subjectaltname?: string | undefined;
}

/**
 * The names a verified certificate proves: its common name and its DNS subject alternative names; undefined
 * without a certificate. A link gives them as `authenticatedIds`, and the engine refuses a Hello whose node id
 * is not one of them.
 */
export function certificateNames(certificate: NamedCertificate | null | undefined): readonly string[] | undefined {
  if (certificate === null || certificate === undefined || certificate.subject === undefined) return undefined;
  const names = new Set<string>();
  const cn = certificate.subject.CN;
  for (const name of Array.isArray(cn) ? cn : [cn]) if (typeof name === 'string') names.add(name);
  for (const part of (certificate.subjectaltname ?? '').split(', ')) if (part.startsWith('DNS:')) names.add(part.slice(4));
  return [...names];
}
