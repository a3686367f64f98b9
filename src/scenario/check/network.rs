//! The network: the link, and the transfers over it.

use anyhow::Result;

use super::Validator;
use crate::scenario::raw::*;
use crate::scenario::*;

impl Validator<'_> {
    pub(super) fn network(&self, network: &RawNetwork, stage_names: &[String]) -> Result<Network> {
        let transfers = network
            .transfers
            .iter()
            .enumerate()
            .map(|(index, transfer)| {
                let key = format!("network.transfers[{index}]");
                Ok(Transfer {
                    name: transfer.name.value.clone(),
                    of: self.data_ref(&transfer.of, &format!("{key}.of"), stage_names)?,
                    of_text: transfer.of.value.clone(),
                    direction: transfer.direction,
                    window: transfer
                        .window
                        .as_ref()
                        .map(|f| {
                            self.duration(
                                f,
                                &format!("{key}.window"),
                                &format!("window[{}]", transfer.name.value),
                            )
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.unique_names(
            network.transfers.iter().map(|t| &t.name),
            "network.transfers",
            "transfer",
        )?;
        Ok(Network {
            bandwidth: self.byte_rate(&network.bandwidth, "network.bandwidth", "bandwidth")?,
            transfers,
        })
    }
}
