// Script references (notify, check and vrrp_script commands) collected while building, for the host checks.
import type { BlockTable, FieldName, Fields, RawBlock, ScriptValue } from './keywords/table.js';
import { fieldsOf } from './keywords/table.js';

/** Script references found while building, for the host checks. */
export interface ScriptUse {
  script: ScriptValue;
  keyword: string;
}

/** The fields of a table whose keyword is a script. */
type ScriptField<T extends BlockTable> = { [F in FieldName<T>]-?: Fields<T>[F] extends ScriptValue | undefined ? F : never }[FieldName<T>];

/** Collects the script values of a block (made with `table`) for the host checks. */
export function scriptsOf<T extends BlockTable>(table: T, raw: RawBlock, fields: readonly ScriptField<T>[], uses: ScriptUse[]): void {
  const got = fieldsOf(table, raw);
  for (const f of fields) {
    const v = got[f] as ScriptValue | undefined;
    if (v) uses.push({ script: v, keyword: f });
  }
}
