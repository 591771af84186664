/**
 * The mail-service contract against Extended MAPI: on the Outlook object model fake (inside the real bridge child),
 * or on Windows with MAIL_AUTOPILOT_MAPI_PROFILE set, on that real Outlook profile
 * (.github/workflows/windows-mapi.yml).
 */
import { describeMailServiceContract } from '../contract/mail-service.contract.js';
import { fakeMapiContractSetup } from '../mapi/contract-setup.js';
import { realMapiContractSetup, realProfile } from '../mapi/windows-setup.js';

const profile = realProfile();
if (profile !== undefined) {
  describeMailServiceContract(`Extended MAPI (Outlook profile "${profile}")`, async () =>
    realMapiContractSetup('extended', profile),
  );
} else {
  describeMailServiceContract('Extended MAPI (Outlook object model fake)', async () =>
    fakeMapiContractSetup('extended'),
  );
}
