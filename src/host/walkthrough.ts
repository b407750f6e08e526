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
 * (`workbench.welcomePage.walkthroughs.openOnInstall`) or wants no editor at startup
 * (`workbench.startupEditor: none`). Later it is on the Welcome page and in the palette.
 */
export async function showWalkthroughOnFirstRun(context: vscode.ExtensionContext, log: Log): Promise<void> {
  if (context.globalState.get<boolean>(SHOWN)) return;
  await context.globalState.update(SHOWN, true);
  // Someone who turned off walkthroughs on install, or every startup editor, gets no editor opened by us
  // (some VS Code setups do not pass the first of these to extensions; the second they do).
  const config = vscode.workspace.getConfiguration();
  const open = config.get<boolean>('workbench.welcomePage.walkthroughs.openOnInstall', true) && config.get<string>('workbench.startupEditor') !== 'none';
  log.info(`first run in this profile: ${open ? 'opening' : 'not opening (workbench.startupEditor is none, or walkthroughs.openOnInstall is off)'} the Get Started walkthrough`);
  if (!open) return;
  try {
    await openWalkthrough(context.extension.id);
  } catch (err) {
    log.warn(`could not open the Get Started walkthrough: ${err instanceof Error ? err.message : String(err)}`);
  }
}
