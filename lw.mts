const { loadWorkflow } = await import('./core/model/load.ts');
for (let k = 0; k < 40; k++) { loadWorkflow(process.argv[2]!, { runId: 'x' }); }
