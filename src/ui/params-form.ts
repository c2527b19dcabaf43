/**
 * The Run form of a definition (SPEC §13), as data: one field per property
 * of its params schema (string, number, integer, boolean, enum, array of
 * strings; anything else as JSON), and the params a filled form gives.
 * Pure, so it is tested without a browser.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'list' | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  label: string;
  /** The text the input starts with (from the schema's default). */
  initial: string;
  options?: string[];
  hint?: string;
}

type Schema = Record<string, unknown>;

function kindOf(s: Schema): FieldKind {
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')) return 'enum';
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean')
    return type;
  if (type === 'array' && (s.items as Schema | undefined)?.type === 'string') return 'list';
  return 'json';
}

function initialOf(kind: FieldKind, s: Schema): string {
  const d = s.default;
  if (d === undefined) return kind === 'boolean' ? 'false' : '';
  if (kind === 'list' && Array.isArray(d)) return d.join('\n');
  if (kind === 'json') return JSON.stringify(d);
  return String(d);
}

/** The form's fields, in the schema's order. */
export function fieldsOf(schema: Schema | undefined): Field[] {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => {
    const kind = kindOf(s);
    const field: Field = {
      name,
      kind,
      required: required.has(name),
      label: typeof s.title === 'string' ? s.title : name,
      initial: initialOf(kind, s),
    };
    if (kind === 'enum') field.options = (s.enum as string[]).slice();
    const hint =
      typeof s.description === 'string'
        ? s.description
        : kind === 'list'
          ? 'one per line'
          : kind === 'json'
            ? 'JSON'
            : undefined;
    if (hint !== undefined) field.hint = hint;
    return field;
  });
}

/**
 * The params of a filled form: empty optional fields are left out (so the
 * schema's defaults apply); a number that is not one, or JSON that does
 * not parse, is sent as typed so that the server's 400 names the field.
 */
export function paramsOf(fields: Field[], values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = values[f.name] ?? f.initial;
    if (f.kind === 'boolean') {
      out[f.name] = raw === 'true';
      continue;
    }
    if (raw.trim() === '' && !f.required) continue;
    switch (f.kind) {
      case 'number':
      case 'integer':
        out[f.name] = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
        break;
      case 'list':
        out[f.name] = raw
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        break;
      case 'json':
        try {
          out[f.name] = JSON.parse(raw);
        } catch {
          out[f.name] = raw;
        }
        break;
      default:
        out[f.name] = raw;
    }
  }
  return out;
}

/** The field a 400's path names (`params.hosts[1]` → `hosts`), if any. */
export function fieldOfPath(path: string | undefined): string | undefined {
  const m = /^params\.([^.[]+)/.exec(path ?? '');
  return m?.[1];
}
