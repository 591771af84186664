/**
 * The mail-service contract against Simple MAPI: on the MAPI32.DLL fake (inside the real bridge child), or on
 * Windows with MAIL_AUTOPILOT_MAPI_PROFILE set, on that real profile (.github/workflows/windows-mapi.yml).
 */
import { describeMailServiceContract } from '../contract/mail-service.contract.js';
import { fakeMapiContractSetup } from '../mapi/contract-setup.js';
import { realMapiContractSetup, realProfile } from '../mapi/windows-setup.js';

const profile = realProfile();
if (profile !== undefined) {
  describeMailServiceContract(`Simple MAPI (profile "${profile}")`, async () =>
    realMapiContractSetup('simple', profile),
  );
} else {
  describeMailServiceContract('Simple MAPI (MAPI32.DLL fake)', async () => fakeMapiContractSetup('simple'));
}
