/**
 * The job types a node can run, by name, with their params validators
 * compiled once. Serves validation (TypeCatalog) and the runner.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { ParamsCheck, TypeCatalog } from '../../jobtree/validate.js';
import { describeAjvError } from '../../jobtree/validate.js';
import type { JsonObject } from '../../shared/types.js';
import type { JobType } from './job-type.js';

export class TypeRegistry {
  private readonly types = new Map<string, JobType>();
  private readonly checks = new Map<string, ParamsCheck>();
  private readonly ajv = new Ajv({ allErrors: false, strict: false });

  /** Adds a type; a second type of the same name is an error. */
  register<P extends JsonObject>(type: JobType<P>): void {
    if (this.types.has(type.name)) throw new Error(`job type ${type.name} is registered twice`);
    const validate: ValidateFunction = this.ajv.compile(type.paramsSchema);
    this.types.set(type.name, type as unknown as JobType);
    this.checks.set(type.name, (params) => {
      if (validate(params)) return null;
      const e = validate.errors?.[0];
      if (!e) return { path: '', message: 'invalid' };
      const { path, problem } = describeAjvError(e);
      return { path, message: problem };
    });
  }

  get(name: string): JobType | undefined {
    return this.types.get(name);
  }

  names(): string[] {
    return [...this.types.keys()].sort();
  }

  /**
   * A catalog for validation: local types are checked here; types only
   * other live nodes know (`remote`) are accepted unchecked.
   */
  catalog(remote: ReadonlySet<string> = new Set()): TypeCatalog {
    return {
      paramsCheck: (type) => this.checks.get(type) ?? (remote.has(type) ? null : undefined),
    };
  }
}
