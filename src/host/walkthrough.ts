import * as vscode from 'vscode';
import type { Log } from './log';

const SHOWN = 'switchboard.walkthroughShown';

/** The walkthrough's id as VS Code names it: `<publisher>.<name>#<walkthrough id>`. */
export const walkthroughId = (extensionId: string) => `${extensionId}#gettingStarted`;

export function openWalkthrough(extensionId: string): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughId(extensionId), false);
}

/**
 * Opens the Get Started walkthrough on the first activation in a profile, as VS Code does for an
 * extension installed from the Marketplace, unless the user turned that off
 * (`workbench.welcomePage.walkthroughs.openOnInstall`). Later it is on the Welcome page and in the palette.
 */
export async function showWalkthroughOnFirstRun(context: vscode.ExtensionContext, log: Log): Promise<void> {
  if (context.globalState.get<boolean>(SHOWN)) return;
  await context.globalState.update(SHOWN, true);
  if (!vscode.workspace.getConfiguration('workbench.welcomePage').get<boolean>('walkthroughs.openOnInstall', true)) return;
  try {
    await openWalkthrough(context.extension.id);
  } catch (err) {
    log.warn(`could not open the Get Started walkthrough: ${err instanceof Error ? err.message : String(err)}`);
  }
}
