/**
 * Optional packages (webgpu, gpu.js, mnist) are peers the runtime loads only
 * when the feature that needs them is asked for. When one is missing, the
 * error names the package, what needs it and the command that installs it.
 */

/** Whether `e` (from import() or require.resolve) says that package `name` is not installed. */
export function isMissingPackage(e: unknown, name: string): boolean {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const code = err?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = typeof err?.message === 'string' ? err.message : '';
  return message.includes(`'${name}'`) || message.includes(`'${name}/`) || message.includes(`"${name}"`);
}

/** The message for a missing optional package: what needs it, and how to install it. */
export function missingPackageMessage(name: string, neededBy: string, version?: string): string {
  return `${neededBy} needs the optional package '${name}', which is not installed; install it with: npm install ${name}${version ? `@${version}` : ''}`;
}
