import { useEffect, useState } from 'react';
import { request } from '../api.ts';
import { useApi, useReportFailure } from '../common/context.ts';
import type { WalltimeAdvice } from '../../../core/api/types.ts';
import { useDocument, useView } from './editor-context.ts';

/**
 * The walltime advice on the open file as edited (`workflows.advice`): asked when it opens and
 * a moment after each edit. By the task's declared path.
 */
export function useAdvice(): ReadonlyMap<string, WalltimeAdvice> {
  const api = useApi();
  const report = useReportFailure();
  const value = useDocument((state) => state.doc.value);
  const opened = useView((state) => state.opened);
  const readOnly = opened?.unparsable !== undefined;
  const [advice, setAdvice] = useState<ReadonlyMap<string, WalltimeAdvice>>(new Map());
  useEffect(() => {
    if (!opened || readOnly) return;
    let live = true;
    const timer = setTimeout(() => {
      request(api, 'workflows.advice', { file: opened.file, value })
        .then((list) => live && setAdvice(new Map(list.map((each) => [each.task, each]))))
        .catch(report('The time limits could not be checked against past runs'));
    }, 600);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, value, opened, readOnly, report]);
  return advice;
}
